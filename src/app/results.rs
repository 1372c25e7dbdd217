//! What a search found, as a view: the query as given and as searched, what "similar"
//! means here, the verdict (or that the nearest disagree), and the nearest images with
//! rank, label and distance; selecting one shows why it is similar. The search itself
//! runs in the worker.

use leptos::prelude::*;

use super::client::Client;
use super::digit::Digit;
use super::protocol::{Answer, Hit, Query, SetInfo, Verdict};
use super::status::thousands;
use super::why::WhyView;

/// A label as the user reads it: a folder's class name, or the number.
pub fn label_name(set: &SetInfo, label: u8) -> String {
    set.classes
        .get(usize::from(label))
        .cloned()
        .unwrap_or_else(|| label.to_string())
}

/// The verdict as a sentence: a big label when the nearest agree; otherwise the two
/// labels in question with their shares, and never a big digit.
fn verdict_view(set: &SetInfo, v: Verdict) -> impl IntoView + use<> {
    let name = label_name(set, v.label);
    let pct = |share: f64| format!("{:.0}%", share * 100.0);
    if v.sure {
        view! {
            <p class="verdict" data-testid="verdict" data-sure="true">
                <span class="big">{name}</span>
                <span>{format!("{} of the weight of the {} nearest", pct(v.support), crate::verdict::VOTERS)}</span>
            </p>
        }
        .into_any()
    } else {
        let (question, shares) = match v.runner_up {
            Some((other, share)) => {
                let other = label_name(set, other);
                (
                    format!("{name} or {other}?"),
                    format!(
                        "the nearest disagree: {name} ({}), {other} ({})",
                        pct(v.support),
                        pct(share)
                    ),
                )
            }
            None => (
                format!("{name}?"),
                format!("the nearest disagree: {name} ({})", pct(v.support)),
            ),
        };
        view! {
            <p class="verdict unsure" data-testid="verdict" data-sure="false">
                <span class="question">{question}</span>
                <span>{shares}</span>
            </p>
        }
        .into_any()
    }
}

#[component]
pub fn Results(
    answer: Answer,
    set: SetInfo,
    client: Client,
    on_query: Callback<Query>,
) -> impl IntoView {
    let Answer {
        query,
        searched,
        setting,
        reranked,
        hits,
        verdict,
        ms,
        measured,
        items,
        exact,
        parts,
        ..
    } = answer;
    let k = hits.len();
    let verdict = verdict.map(|v| verdict_view(&set, v));
    let (items, measured) = (thousands(u64::from(items)), thousands(measured as u64));
    let comparison = exact.map(|e| {
        view! {
            <p class="compare">
                {format!(
                    "Recall@{k} against exact search: {:.2}. {} {ms:.2} ms ({measured} distances), exact {:.1} ms (all {items}).",
                    e.recall, setting.name(), e.ms
                )}
            </p>
        }
    });
    let reranked = if reranked {
        ", re-ranked by how far each part must move to match"
    } else {
        ""
    };
    let timing = match parts {
        Some(p) => format!(
            "{k} nearest of {items} in {ms:.2} ms (the {} cells nearest to it, {}{reranked}), {measured} distances measured",
            p.cells,
            if p.fetched > 0 {
                format!(
                    "{:.0} kB fetched in {} round trip{}",
                    p.fetched as f64 / 1e3,
                    p.trips,
                    if p.trips == 1 { "" } else { "s" }
                )
            } else {
                "all here already".into()
            }
        ),
        None => format!(
            "{k} nearest of {items} in {ms:.2} ms ({}{reranked}), {measured} distances measured",
            setting.name()
        ),
    };
    // The hit whose "why" is shown; a new answer starts with none.
    let selected = RwSignal::new(None::<u32>);
    let query_image = query.image.clone();
    let select = Callback::new(move |id: u32| {
        if selected.get_untracked() == Some(id) {
            selected.set(None);
        } else {
            selected.set(Some(id));
            client.explain(query_image.clone(), id);
        }
    });
    let why_of = hits
        .iter()
        .map(|h| (h.id, about(&set, h)))
        .collect::<Vec<_>>();
    let why_images = hits
        .iter()
        .map(|h| (h.id, h.image.clone()))
        .collect::<Vec<_>>();
    let why = move || {
        let id = selected.get()?;
        let w = client.why.get().filter(|w| w.id == id)?;
        let about = why_of.iter().find(|(i, _)| *i == id)?.1.clone();
        let image = why_images.iter().find(|(i, _)| *i == id)?.1.clone();
        Some(view! {
            <WhyView
                why=w
                title=format!("training image #{id}{about}")
                again=Query { image, source: format!("training image #{id}{about}") }
                on_query=on_query
                on_close=Callback::new(move |()| selected.set(None))
            />
        })
    };
    let hits = hits
        .into_iter()
        .enumerate()
        .map(|(rank, h)| hit(&set, rank, h, selected, select))
        .collect_view();
    let shown = format!("{}x{}", query.image.cols, query.image.rows);
    let searched_size = format!("{}x{}", searched.cols, searched.rows);
    let searched_view = (!searched.pixels.is_empty() && searched != query.image).then(|| {
        view! {
            <figure>
                <Digit image=searched label=format!("the query as searched, {searched_size}") class="query-tile" />
                <figcaption class="small muted">{format!("searched, {searched_size}")}</figcaption>
            </figure>
        }
    });
    // What the query cost rides along for tools to read (bench/million.sh).
    let (fetched, trips, memory) = parts.map_or((0, 0, 0.0), |p| (p.fetched, p.trips, p.memory_mb));
    view! {
        <section class="results" data-testid="results" aria-live="polite"
            data-fetched=fetched data-trips=trips data-memory-mb=format!("{memory:.1}")>
            <div class="query">
                <figure>
                    <Digit image=query.image label=format!("the query, {shown}") class="query-tile" />
                    <figcaption class="small muted">{format!("query, {shown}")}</figcaption>
                </figure>
                {searched_view}
                <div>
                    <p class="muted small">"Searched with " {query.source} </p>
                    {verdict}
                </div>
            </div>
            <p class="small similar" data-testid="similar">{set.similar()}</p>
            <p class="muted small">{timing}</p>
            {comparison}
            <p class="muted small">"Select a digit to see why it is similar."</p>
            <ol class="hits">{hits}</ol>
            {why}
        </section>
    }
}

/// How a hit's label reads after its number: " (a 7)", or nothing without labels.
fn about(set: &SetInfo, h: &Hit) -> String {
    h.label
        .map(|l| format!(" (a {})", label_name(set, l)))
        .unwrap_or_default()
}

fn hit(
    set: &SetInfo,
    rank: usize,
    h: Hit,
    selected: RwSignal<Option<u32>>,
    select: Callback<u32>,
) -> impl IntoView + use<> {
    let id = h.id;
    let about = about(set, &h);
    let label = h
        .label
        .map_or_else(|| format!("#{id}"), |l| label_name(set, l));
    let text = format!("#{} · {}", rank + 1, h.distance);
    let title = format!(
        "rank {}, training image #{id}{about}, distance {}: select to see why it is similar",
        rank + 1,
        h.distance
    );
    view! {
        <li>
            <button
                class="hit"
                title=title
                aria-pressed=move || (selected.get() == Some(id)).to_string()
                on:click=move |_| select.run(id)
            >
                <Digit image=h.image label=format!("training image {id}{about}") />
                <span class="hit-label">{label}</span>
                <span class="hit-meta">{text}</span>
            </button>
        </li>
    }
}
