//! How a newer answer takes the place of the one on screen, as plain data: the page's
//! `Shown` acts on what [`turn`] decides, and `cargo test` checks the rule without a
//! browser.
//!
//! A new query's answer replaces the old one whole. An answer to the same query that
//! refines it (MNIST searched whole after it was searched by parts) keeps the selected
//! hit and its "why", and says how many hits it changed ([`new_hits`]); when it drops the
//! hit the person is looking at, it is held back instead.

use crate::protocol::Answer;

/// What becomes of a new answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Held back: it refines the answer on screen but drops the selected hit.
    Hold,
    /// Shown in place of the answer on screen.
    Show {
        /// The selected hit stays selected.
        keep: bool,
        /// It refines the answer on screen: the same query, searched whole after it was
        /// searched by parts.
        refines: bool,
        /// The hit whose "why" is asked again, for the query as it is now (the same
        /// drawing grown by a stroke).
        explain: Option<u32>,
    },
}

/// What becomes of `new`, given the answer `on_screen` and the hit `selected` in it. The
/// same query, or the same drawing grown by a stroke (or its last stroke's answer
/// arriving after a hit was chosen): a hit still among the answers stays selected.
pub fn turn(on_screen: Option<&Answer>, selected: Option<u32>, new: &Answer) -> Turn {
    let (same_query, same_source, refines) = match on_screen {
        Some(old) => (
            old.query == new.query,
            old.query.source == new.query.source,
            old.query == new.query && old.parts.is_some() && new.parts.is_none(),
        ),
        None => (false, false, false),
    };
    let keeps = selected.is_none_or(|id| new.hits.iter().any(|h| h.id == id));
    if refines && !keeps {
        return Turn::Hold;
    }
    Turn::Show {
        keep: same_source && keeps,
        refines,
        explain: selected.filter(|_| keeps && same_source && !same_query),
    }
}

/// How many of `new`'s hits the answer `before` did not have.
pub fn new_hits(before: Option<&Answer>, new: &Answer) -> usize {
    let before: Vec<u32> = before
        .iter()
        .flat_map(|a| a.hits.iter().map(|h| h.id))
        .collect();
    new.hits.iter().filter(|h| !before.contains(&h.id)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Hit, Image, Parts, Query, Setting};

    fn image(pixels: Vec<u8>) -> Image {
        Image {
            rows: 1,
            cols: pixels.len() as u16,
            pixels,
        }
    }

    /// An answer to `source`'s query `pixels` with hits `ids`, by parts or whole.
    fn answer(source: &str, pixels: Vec<u8>, ids: &[u32], by_parts: bool) -> Answer {
        Answer {
            id: 1,
            query: Query {
                image: image(pixels),
                source: source.into(),
            },
            searched: image(Vec::new()),
            setting: Setting::Exact,
            reranked: true,
            hits: ids
                .iter()
                .map(|&id| Hit {
                    id,
                    label: None,
                    distance: 0,
                    image: image(Vec::new()),
                    name: None,
                })
                .collect(),
            verdict: None,
            ms: 0.0,
            measured: 0,
            items: 0,
            exact: None,
            parts: by_parts.then_some(Parts {
                cells: 1,
                fetched: 0,
                trips: 0,
                memory_mb: 0.0,
            }),
            blank: 0,
        }
    }

    #[test]
    fn a_first_answer_is_shown_with_nothing_selected() {
        let new = answer("your drawing", vec![1], &[1, 2], false);
        assert_eq!(
            turn(None, None, &new),
            Turn::Show {
                keep: false,
                refines: false,
                explain: None
            }
        );
    }

    #[test]
    fn a_refinement_keeps_the_selected_hit_when_it_still_holds_it() {
        let old = answer("test digit #3 (a 5)", vec![1], &[1, 2, 3], true);
        let new = answer("test digit #3 (a 5)", vec![1], &[3, 1, 9], false);
        assert_eq!(
            turn(Some(&old), Some(3), &new),
            Turn::Show {
                keep: true,
                refines: true,
                explain: None
            }
        );
        assert_eq!(new_hits(Some(&old), &new), 1);
    }

    #[test]
    fn a_refinement_that_drops_the_selected_hit_is_held_back() {
        let old = answer("test digit #3 (a 5)", vec![1], &[1, 2, 3], true);
        let new = answer("test digit #3 (a 5)", vec![1], &[1, 2, 9], false);
        assert_eq!(turn(Some(&old), Some(3), &new), Turn::Hold);
        // With nothing selected there is nothing to lose: it shows.
        assert!(matches!(
            turn(Some(&old), None, &new),
            Turn::Show { refines: true, .. }
        ));
    }

    #[test]
    fn a_drawing_grown_by_a_stroke_keeps_the_hit_and_asks_its_why_again() {
        let old = answer("your drawing", vec![1], &[4, 5], false);
        let new = answer("your drawing", vec![1, 1], &[5, 6], false);
        assert_eq!(
            turn(Some(&old), Some(5), &new),
            Turn::Show {
                keep: true,
                refines: false,
                explain: Some(5)
            }
        );
        // A hit the grown drawing no longer finds is let go.
        assert_eq!(
            turn(Some(&old), Some(4), &new),
            Turn::Show {
                keep: false,
                refines: false,
                explain: None
            }
        );
    }

    #[test]
    fn another_query_lets_the_selection_go() {
        let old = answer("your drawing", vec![1], &[4, 5], false);
        let new = answer("one.png", vec![2], &[4, 5], false);
        assert_eq!(
            turn(Some(&old), Some(4), &new),
            Turn::Show {
                keep: false,
                refines: false,
                explain: None
            }
        );
        assert_eq!(new_hits(None, &new), 2);
    }
}
