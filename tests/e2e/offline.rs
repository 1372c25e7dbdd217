//! The offline copy of the site: the service worker keeps what the page already fetched
//! without asking the host for it again, so that keeping the site never competes with a
//! visitor's next query for the link.

use std::collections::BTreeMap;

use crate::site::{Served, Visit};

/// The file an answer was for: the folder's address and its `index.html` are one file.
fn file(s: &Served) -> String {
    s.path
        .strip_suffix("index.html")
        .unwrap_or(&s.path)
        .to_owned()
}

#[tokio::test(flavor = "current_thread")]
async fn keeping_the_site_offline_downloads_no_file_the_first_visit_already_had() {
    let b = Visit::ready("/ok/").await;
    // A first result, then the whole set and the service worker's install.
    b.until_kept().await;
    let site = b.leave();

    // Every answer that carried a file's bytes (a 304 carries none), by file and range:
    // none twice.
    let log = site.log();
    let mut sent: BTreeMap<(String, Option<String>), Vec<&Served>> = BTreeMap::new();
    for s in &log {
        if s.status == 200 || s.status == 206 {
            sent.entry((file(s), s.range.clone())).or_default().push(s);
        }
    }
    let twice: Vec<String> = sent
        .iter()
        .filter(|(_, answers)| answers.len() > 1)
        .map(|((path, range), answers)| {
            let bytes: Vec<u64> = answers.iter().map(|s| s.bytes).collect();
            format!(
                "{path} {range:?}: sent {} times, {bytes:?} bytes",
                answers.len()
            )
        })
        .collect();
    assert!(
        twice.is_empty(),
        "sent again: {twice:#?}\nall answers: {log:#?}"
    );
    // And the site was kept: the page's files went out, the service worker's among them.
    assert!(
        log.iter().any(|s| s.path.ends_with("/sw.js")),
        "no service worker was fetched: {log:#?}"
    );
}
