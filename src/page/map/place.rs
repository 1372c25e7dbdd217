//! Putting the query on the map where its nearest are, and saying in words where it
//! landed.

use super::view::{Mark, View};
use crate::protocol::{Answer, SetInfo};
use crate::words::label_name;
use ssam::{Neighbor, metrics};

/// Places the answer's query on the map and says in words where it landed.
pub(super) fn place(v: &mut View, answer: &Answer, set: Option<&SetInfo>) -> Option<String> {
    let hits: Vec<Neighbor> = answer
        .hits
        .iter()
        .map(|h| Neighbor {
            id: h.id,
            distance: h.distance,
        })
        .collect();
    let labelled = set.is_none_or(|s| s.labelled);
    let label_of = |id: u32| v.labels.get(id as usize).copied().unwrap_or(0);
    let vote = metrics::vote(&hits, label_of)
        .map(|(l, _)| l)
        .filter(|_| labelled);
    let at = v.map.place(&hits)?;
    v.mark = Some(Mark {
        at,
        hits: answer.hits.iter().map(|h| (h.id, h.label)).collect(),
        label: vote,
    });
    let source = &answer.query.source;
    if !labelled {
        return Some(format!(
            "The query ({source}) lands among its {} nearest images (this set has no labels to name the place by).",
            hits.len()
        ));
    }
    let name = |l: u8| set.map_or_else(|| l.to_string(), |s| label_name(s, l));
    let landing = v.map.landing(&v.labels, at[0], at[1])?;
    let near = landing
        .near
        .map(|n| format!(", near the {}s", name(n)))
        .unwrap_or_default();
    let others = match vote {
        Some(l) => {
            let n = answer.hits.iter().filter(|h| h.label != Some(l)).count();
            match n {
                0 => format!("; all {} of its nearest are {}s", hits.len(), name(l)),
                1 => format!(
                    "; 1 of its {} nearest is not a {} (crossed on the map)",
                    hits.len(),
                    name(l)
                ),
                n => format!(
                    "; {n} of its {} nearest are not {}s (crossed on the map)",
                    hits.len(),
                    name(l)
                ),
            }
        }
        None => String::new(),
    };
    Some(format!(
        "The query ({source}) lands among the {}s{near}{others}.",
        name(landing.among)
    ))
}
