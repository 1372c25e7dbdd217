//! What the page says, as plain functions of the data it is about: the status line, the
//! progress line, the verdict and the names of hits, the pick box's complaints. They need
//! no browser, so they are compiled natively too and `cargo test` pins their wording (the
//! browser tests read the same words on the page).

use crate::protocol::{Hit, Progress, SetInfo, Verdict, thousands};

/// Seconds as the status says them.
fn secs(ms: f64) -> String {
    format!("{:.2} s", ms / 1e3)
}

/// Megabytes as the status says them: "9.7 MB".
fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// One line about the set being searched, in a visitor's words: what can be searched
/// now, what is still coming and what that brings; for MNIST searched by parts, how much
/// of the rest is here (`local`: bytes done, of all), and whether the host makes the
/// whole set come first (`no_ranges`).
pub fn ready_line(s: &SetInfo, local: Option<(u64, u64)>, no_ranges: bool) -> String {
    let count = thousands(u64::from(s.items));
    let digits = format!("{count} {} training digits", s.name);
    if let Some(parts) = s.streamed {
        return match local {
            Some((done, total)) if no_ranges && done < total => format!(
                "Loading {digits}: this server does not answer range requests, so the whole set ({}) comes before the first answer; {:.0}% is here. Then every search runs in this page and works offline.",
                mb(total),
                100.0 * done as f64 / total.max(1) as f64
            ),
            _ if no_ranges && local.is_none() => format!(
                "Loading {digits}: this server does not answer range requests, so the whole set comes before the first answer. Then every search runs in this page and works offline."
            ),
            Some((_, total)) if no_ranges => format!(
                "Ready: {digits}. This server does not answer range requests, so the whole set ({}) came first; it is being put together, then SSAM works offline too.",
                mb(total)
            ),
            Some((done, total)) if total > 0 && done >= total => format!(
                "Ready: {digits}. All {} of them are here and being put together; then SSAM works offline too.",
                mb(total)
            ),
            Some((done, total)) if total > 0 => format!(
                "Ready: {digits}. The rest of the set is coming in the background ({:.0}% of {}); then SSAM works offline too.",
                100.0 * done as f64 / total as f64,
                mb(total)
            ),
            _ if parts.background => format!(
                "Ready: {digits}. Each search fetches only the few parts it needs; the rest of the set follows after your first result, and then SSAM works offline too."
            ),
            _ => format!(
                "Ready: {digits}. They stay on their server: each search fetches only the few parts it needs."
            ),
        };
    }
    let size = format!("{}x{}", s.cols, s.rows);
    if s.own {
        let held = if s.queries > 0 {
            format!(
                "; {} more held out to pick from and to benchmark with",
                thousands(u64::from(s.queries))
            )
        } else {
            String::new()
        };
        let notes: String = s.notes.iter().map(|n| format!(" {n}.")).collect();
        let took: f64 = s.stages.iter().map(|(_, ms)| ms).sum();
        format!(
            "Your set {}: {count} images of {size}, indexed in {}{held}.{notes}",
            s.name,
            secs(took),
        )
    } else if s.stages.is_empty() {
        format!("Back to {digits}: every search runs in this page.")
    } else {
        format!("Ready: {digits}, all here: every search runs in this page and works offline.")
    }
}

/// "downloading index.ssam.gz: 1.2 MB of 1.5 MB" and the fraction done, when known.
pub fn progress_line(p: &Progress) -> (String, Option<f64>) {
    let file = p.file.rsplit('/').next().unwrap_or(&p.file);
    let bytes = matches!(p.stage.as_str(), "downloading" | "reading");
    let amount = match (bytes, p.total) {
        (true, Some(t)) => format!(": {:.1} MB of {:.1} MB", p.done / 1e6, t / 1e6),
        (true, None) => format!(": {:.1} MB", p.done / 1e6),
        (false, Some(1.0)) => format!(": {:.0}%", p.done * 100.0),
        (false, Some(t)) => format!(": {:.0} of {t:.0}", p.done),
        (false, None) => String::new(),
    };
    let fraction = p.total.map(|t| (p.done / t.max(1e-9)).min(1.0));
    (format!("{} {file}{amount}", p.stage), fraction)
}

/// What the page says when the pad is emptied and nothing else is asked: what drawing
/// does with the set searched (`set`, once it is ready).
pub fn draw_prompt(set: Option<&SetInfo>) -> String {
    match set {
        Some(s) if s.own => format!(
            "Draw something to see the images of {} most like it.",
            s.name
        ),
        _ => "Draw a digit, 0 to 9, to see the training digits most like it.".into(),
    }
}

/// The answer card's title.
pub fn answer_title(set: Option<&SetInfo>) -> String {
    match set {
        Some(s) if s.own => format!("Most similar images of {}", s.name),
        _ => "Most similar training digits".to_owned(),
    }
}

/// What the number box holds, as a whole number; why not, in words. Whether the set has
/// that many is the worker's to say: it knows what a pick is drawn from.
pub fn parse_number(text: &str, noun: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!(
            "Type the number of a {noun}: a whole number from 0."
        ));
    }
    text.parse::<u32>()
        .map_err(|_| format!("{text:?} is not a {noun}'s number: type a whole number from 0."))
}

/// `s` with its first letter a capital: "test digit" is "Test digit".
pub fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A label as the user reads it: a folder's class name, or the number.
pub fn label_name(set: &SetInfo, label: u8) -> String {
    set.classes
        .get(usize::from(label))
        .cloned()
        .unwrap_or_else(|| label.to_string())
}

/// The verdict in a few words: the label when the nearest agree, else the question
/// ("2 or 6?"). The answer card and the way to it on a phone say it alike.
pub fn verdict_words(set: &SetInfo, v: &Verdict) -> String {
    let name = label_name(set, v.label);
    match v.runner_up {
        _ if v.sure => name,
        Some((other, _)) => format!("{name} or {}?", label_name(set, other)),
        None => format!("{name}?"),
    }
}

/// How alike a hit is to the query, 0 to 1: the share of the query's cost against an
/// empty image that the hit does not leave unmatched.
pub fn alike(distance: u32, blank: u32) -> f64 {
    if blank == 0 {
        return 0.0;
    }
    (1.0 - f64::from(distance) / f64::from(blank)).clamp(0.0, 1.0)
}

/// What a hit is called everywhere on the page: "training digit #40214 (a 7)" for MNIST,
/// the file's name (and its class) for an own set.
pub fn item_name(set: &SetInfo, h: &Hit) -> String {
    let class = h.label.map(|l| label_name(set, l));
    match (set.own, class) {
        (false, Some(c)) => format!("training digit #{} (a {c})", h.id),
        (false, None) => format!("training digit #{}", h.id),
        (true, class) => {
            let name = h.name.clone().unwrap_or_else(|| format!("image #{}", h.id));
            class.map_or(name.clone(), |c| format!("{name} ({c})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Image, Streaming};

    fn mnist() -> SetInfo {
        SetInfo {
            name: "MNIST".into(),
            items: 60_000,
            rows: 28,
            cols: 28,
            labelled: true,
            stages: vec![("downloading".into(), 800.0)],
            ..SetInfo::default()
        }
    }

    fn own() -> SetInfo {
        SetInfo {
            name: "shapes".into(),
            own: true,
            items: 1_200,
            rows: 32,
            cols: 24,
            classes: vec!["circle".into(), "square".into()],
            stages: vec![("reading".into(), 250.0), ("indexing".into(), 1_000.0)],
            ..SetInfo::default()
        }
    }

    fn streamed(background: bool) -> SetInfo {
        SetInfo {
            streamed: Some(Streaming {
                background,
                ..Streaming::default()
            }),
            ..mnist()
        }
    }

    fn hit(id: u32, label: Option<u8>, name: Option<&str>) -> Hit {
        Hit {
            id,
            label,
            distance: 0,
            image: Image {
                rows: 0,
                cols: 0,
                pixels: Vec::new(),
            },
            name: name.map(str::to_owned),
        }
    }

    #[test]
    fn the_status_line_says_what_is_here_and_what_is_coming() {
        assert_eq!(
            ready_line(&mnist(), None, false),
            "Ready: 60,000 MNIST training digits, all here: every search runs in this page and works offline."
        );
        let back = SetInfo {
            stages: Vec::new(),
            ..mnist()
        };
        assert_eq!(
            ready_line(&back, None, false),
            "Back to 60,000 MNIST training digits: every search runs in this page."
        );
        assert_eq!(
            ready_line(&streamed(true), Some((2_500_000, 10_000_000)), false),
            "Ready: 60,000 MNIST training digits. The rest of the set is coming in the background (25% of 10.0 MB); then SSAM works offline too."
        );
        assert_eq!(
            ready_line(&streamed(true), Some((10_000_000, 10_000_000)), false),
            "Ready: 60,000 MNIST training digits. All 10.0 MB of them are here and being put together; then SSAM works offline too."
        );
        assert_eq!(
            ready_line(&streamed(true), None, false),
            "Ready: 60,000 MNIST training digits. Each search fetches only the few parts it needs; the rest of the set follows after your first result, and then SSAM works offline too."
        );
        assert_eq!(
            ready_line(&streamed(false), None, false),
            "Ready: 60,000 MNIST training digits. They stay on their server: each search fetches only the few parts it needs."
        );
    }

    #[test]
    fn a_host_without_ranges_is_named_in_the_status_line() {
        assert_eq!(
            ready_line(&streamed(true), None, true),
            "Loading 60,000 MNIST training digits: this server does not answer range requests, so the whole set comes before the first answer. Then every search runs in this page and works offline."
        );
        assert_eq!(
            ready_line(&streamed(true), Some((5_000_000, 10_000_000)), true),
            "Loading 60,000 MNIST training digits: this server does not answer range requests, so the whole set (10.0 MB) comes before the first answer; 50% is here. Then every search runs in this page and works offline."
        );
        assert_eq!(
            ready_line(&streamed(true), Some((10_000_000, 10_000_000)), true),
            "Ready: 60,000 MNIST training digits. This server does not answer range requests, so the whole set (10.0 MB) came first; it is being put together, then SSAM works offline too."
        );
    }

    #[test]
    fn an_own_set_is_described_with_its_size_time_held_out_images_and_notes() {
        assert_eq!(
            ready_line(&own(), None, false),
            "Your set shapes: 1,200 images of 24x32, indexed in 1.25 s."
        );
        let more = SetInfo {
            queries: 1_000,
            notes: vec!["2 files were skipped".into()],
            ..own()
        };
        assert_eq!(
            ready_line(&more, None, false),
            "Your set shapes: 1,200 images of 24x32, indexed in 1.25 s; 1,000 more held out to pick from and to benchmark with. 2 files were skipped."
        );
    }

    #[test]
    fn progress_says_bytes_for_downloads_and_a_share_or_count_otherwise() {
        let p = |stage: &str, done: f64, total: Option<f64>| Progress {
            stage: stage.into(),
            file: "assets/index.ssam.gz".into(),
            done,
            total,
            own: false,
        };
        assert_eq!(
            progress_line(&p("downloading", 1.2e6, Some(1.5e6))),
            (
                "downloading index.ssam.gz: 1.2 MB of 1.5 MB".into(),
                Some(0.8)
            )
        );
        assert_eq!(
            progress_line(&p("reading", 3e5, None)),
            ("reading index.ssam.gz: 0.3 MB".into(), None)
        );
        assert_eq!(
            progress_line(&p("forest", 0.25, Some(1.0))),
            ("forest index.ssam.gz: 25%".into(), Some(0.25))
        );
        assert_eq!(
            progress_line(&p("indexing", 30.0, Some(120.0))),
            ("indexing index.ssam.gz: 30 of 120".into(), Some(0.25))
        );
        assert_eq!(
            progress_line(&p("checking", 5.0, None)),
            ("checking index.ssam.gz".into(), None)
        );
    }

    #[test]
    fn the_prompt_and_title_name_an_own_set() {
        assert_eq!(
            draw_prompt(None),
            "Draw a digit, 0 to 9, to see the training digits most like it."
        );
        assert_eq!(draw_prompt(Some(&mnist())), draw_prompt(None));
        assert_eq!(
            draw_prompt(Some(&own())),
            "Draw something to see the images of shapes most like it."
        );
        assert_eq!(answer_title(None), "Most similar training digits");
        assert_eq!(answer_title(Some(&own())), "Most similar images of shapes");
    }

    #[test]
    fn a_number_is_a_whole_number_and_anything_else_is_named() {
        assert_eq!(parse_number(" 42 ", "test digit"), Ok(42));
        assert_eq!(
            parse_number("  ", "test digit"),
            Err("Type the number of a test digit: a whole number from 0.".into())
        );
        assert_eq!(
            parse_number("3.5e", "image"),
            Err("\"3.5e\" is not a image's number: type a whole number from 0.".into())
        );
        assert!(parse_number("-1", "image").is_err());
        assert_eq!(capitalised("test digit"), "Test digit");
        assert_eq!(capitalised(""), "");
    }

    #[test]
    fn a_verdict_is_a_label_or_a_question() {
        let sure = Verdict {
            label: 7,
            support: 0.9,
            runner_up: Some((1, 0.1)),
            sure: true,
        };
        assert_eq!(verdict_words(&mnist(), &sure), "7");
        let torn = Verdict {
            sure: false,
            ..sure
        };
        assert_eq!(verdict_words(&mnist(), &torn), "7 or 1?");
        let alone = Verdict {
            runner_up: None,
            ..torn
        };
        assert_eq!(verdict_words(&mnist(), &alone), "7?");
        let shapes = Verdict {
            label: 1,
            runner_up: Some((0, 0.4)),
            ..torn
        };
        assert_eq!(verdict_words(&own(), &shapes), "square or circle?");
    }

    #[test]
    fn hits_are_named_by_number_for_mnist_and_by_file_for_an_own_set() {
        assert_eq!(
            item_name(&mnist(), &hit(40214, Some(7), None)),
            "training digit #40214 (a 7)"
        );
        assert_eq!(
            item_name(&mnist(), &hit(3, None, None)),
            "training digit #3"
        );
        assert_eq!(
            item_name(&own(), &hit(5, Some(0), Some("circle/c07.png"))),
            "circle/c07.png (circle)"
        );
        assert_eq!(item_name(&own(), &hit(5, None, None)), "image #5");
        // A label past the set's class names is said as its number.
        assert_eq!(label_name(&own(), 9), "9");
    }

    #[test]
    fn alike_is_the_share_of_the_blank_cost_left_matched() {
        assert_eq!(alike(0, 1_000), 1.0);
        assert_eq!(alike(250, 1_000), 0.75);
        assert_eq!(alike(2_000, 1_000), 0.0);
        assert_eq!(alike(5, 0), 0.0);
    }
}
