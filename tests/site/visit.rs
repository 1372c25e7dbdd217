//! A test's visit: the site served for it, a browser on its pages and a scratch folder,
//! held together and let go together, however the test ends.
//!
//! ```ignore
//! let b = Visit::ready("/ok/").await;
//! let b = Visit::phone(true).ready("/ok/").await;
//! let b = Visit::desktop().serving(config).start().await;
//! b.goto("/slow/").await;
//! ```

use std::ops::Deref;
use std::path::Path;

use super::{Browser, Config, Site, browser, phone, serve_with};

/// A site served for one test, a browser on it and a folder for the files the test makes.
/// It reads as its browser (`b.until_text(..)`); dropped, the browser quits first.
pub struct Visit {
    browser: Browser,
    pub site: Site,
    dir: tempfile::TempDir,
}

/// A visit not started yet: what the site serves and on which device.
pub struct Plan {
    /// The standard fault modes when None.
    config: Option<Config>,
    /// A phone in the dark scheme or the light one; a desktop when None.
    phone: Option<bool>,
}

impl Visit {
    /// The site with its standard fault modes, a desktop browser on `path` (`/ok/`, or a
    /// mode such as `/corrupt/`) once MNIST is searchable there.
    pub async fn ready(path: &str) -> Visit {
        Visit::desktop().ready(path).await
    }

    /// A desktop browser, 1200x1000, on the site with its standard fault modes.
    pub fn desktop() -> Plan {
        Plan {
            config: None,
            phone: None,
        }
    }

    /// A phone (`phone` in the harness), on the site with its standard fault modes.
    pub fn phone(dark: bool) -> Plan {
        Plan {
            config: None,
            phone: Some(dark),
        }
    }

    /// The address of `path` on this visit's site.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.site.base)
    }

    /// Opens `path` and waits for MNIST to be searchable.
    pub async fn open(&self, path: &str) {
        self.browser.open_ready(&self.url(path)).await;
    }

    /// Opens `path` without waiting for anything.
    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.browser
            .client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }

    /// The test's scratch folder, removed with the visit.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Closes the browser and keeps the site, for what it served: nothing asks it for
    /// anything any more.
    pub fn leave(self) -> Site {
        let Visit { browser, site, .. } = self;
        drop(browser);
        site
    }
}

impl Deref for Visit {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl Plan {
    /// Serves `config` instead of the standard fault modes.
    pub fn serving(mut self, config: Config) -> Plan {
        self.config = Some(config);
        self
    }

    /// The site served and the browser started, on no page yet.
    pub async fn start(self) -> Visit {
        let site = serve_with(self.config.unwrap_or_else(Config::standard));
        let browser = match self.phone {
            Some(dark) => phone(dark).await,
            None => browser().await,
        };
        Visit {
            browser,
            site,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Started, on `path` once MNIST is searchable there.
    pub async fn ready(self, path: &str) -> Visit {
        let visit = self.start().await;
        visit.open(path).await;
        visit
    }
}
