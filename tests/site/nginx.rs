//! The static server of the end-to-end tests: Debian's nginx with `scripts/nginx.conf`
//! (gzip on, byte ranges), on a free port, in a folder of its own, killed when the `Site`
//! is dropped however the test ends.
//!
//! The site is served under mode prefixes: `/ok/` as built, and each mode that a fault
//! names. A fault is an nginx rule for one path, so a test can damage, refuse, slow down
//! or stop honouring ranges for one file or folder and leave the rest intact:
//!
//! ```ignore
//! let site = serve_with(Config::new()
//!     .fault("/norange/assets/", Fault::IgnoreRange)
//!     .fault("/gone/assets/index.ssam.gz", Fault::Status(444)));
//! ```
//!
//! What nginx cannot do alone (cut a response off after its headers, say) a test can
//! still reach through `Fault::Rules`, e.g. `proxy_pass` to a small server of its own.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a path serves instead of the site's file.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answers with this status and no file; 444 closes the connection without a word,
    /// as a network that drops.
    Status(u16),
    /// Serves these bytes instead (a damaged or truncated file, or another build's).
    Bytes(Vec<u8>),
    /// Serves these bytes with these nginx directives (a host's own limits).
    BytesWith(Vec<u8>, String),
    /// Sends at most this many bytes a second on each connection.
    Rate(u64),
    /// Answers a Range request with 200 and the whole file, as some servers do.
    IgnoreRange,
    /// Any nginx directives, inside a `location` for the path that serves the file.
    Rules(String),
}

/// How a `Site` serves: its faults and headers.
#[derive(Clone, Debug, Default)]
pub struct Config {
    cache_control: Option<String>,
    faults: Vec<(String, Fault)>,
}

impl Config {
    /// The site at `/ok/` and no faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The modes the tests have always had: `/corrupt/` flips a byte in the middle of the
    /// index, `/missing/` answers 404 for it (`/noroot/` for the training digits' root), `/slow/` sends the data files (assets/)
    /// at 2 MB/s a connection and the training digits' root at 8 kB/s, so that the first
    /// search waits seconds, `/badmap/` cuts the map file in
    /// half.
    pub fn standard() -> Self {
        let index = std::fs::read(super::dist().join("assets/index.ssam.gz")).ok();
        let map = std::fs::read(super::dist().join("assets/map.ssam.gz")).ok();
        let mut config = Self::new()
            .fault("/missing/assets/index.ssam.gz", Fault::Status(404))
            .fault("/noroot/assets/mnist-train.root", Fault::Status(404))
            .fault("/slow/assets/", Fault::Rate(2_000_000))
            .fault("/slow/assets/mnist-train.root", Fault::Rate(8_000));
        if let Some(mut b) = index {
            let mid = b.len() / 2;
            b[mid] ^= 0x5a;
            config = config.fault("/corrupt/assets/index.ssam.gz", Fault::Bytes(b));
        }
        if let Some(b) = map {
            let half = b[..b.len() / 2].to_vec();
            config = config.fault("/badmap/assets/map.ssam.gz", Fault::Bytes(half));
        }
        config
    }

    /// Sends `Cache-Control: value` with every answer.
    pub fn cache_control(mut self, value: &str) -> Self {
        self.cache_control = Some(value.to_owned());
        self
    }

    /// Serves `fault` at `path`: `/MODE/FILE` for one file, `/MODE/FOLDER/` for everything
    /// under a folder. `/MODE/` serves the site, with this fault.
    pub fn fault(mut self, path: &str, fault: Fault) -> Self {
        assert!(
            path.starts_with('/') && path[1..].contains('/'),
            "a fault's path is /MODE/...: {path}"
        );
        self.faults.push((path.to_owned(), fault));
        self
    }

    /// The server block's extra rules, with fault files written under `prefix`.
    fn rules(&self, prefix: &Path) -> String {
        let root = prefix.join("root");
        let root = root.display();
        let mut conf = String::new();
        if let Some(c) = &self.cache_control {
            conf += &format!("add_header Cache-Control \"{c}\" always;\n");
        }
        let mut modes = vec!["ok".to_owned()];
        for (path, _) in &self.faults {
            let mode = path[1..].split('/').next().unwrap().to_owned();
            if !modes.contains(&mode) {
                modes.push(mode);
            }
        }
        for mode in &modes {
            conf += &format!("location /{mode}/ {{ alias {root}/; }}\n");
        }
        for (n, (path, fault)) in self.faults.iter().enumerate() {
            let rest = &path[1..][path[1..].find('/').unwrap() + 1..];
            let matcher = if path.ends_with('/') { "^~" } else { "=" };
            let body = match fault {
                Fault::Status(code) => format!("return {code};"),
                Fault::Bytes(bytes) | Fault::BytesWith(bytes, _) => {
                    let file = prefix.join(format!("fault-{n}"));
                    std::fs::write(&file, bytes).unwrap();
                    let rules = match fault {
                        Fault::BytesWith(_, rules) => rules.as_str(),
                        _ => "",
                    };
                    format!("alias {}; {rules}", file.display())
                }
                Fault::Rate(r) => format!("alias {root}/{rest}; limit_rate {r};"),
                Fault::IgnoreRange => format!("alias {root}/{rest}; max_ranges 0;"),
                Fault::Rules(rules) => format!("alias {root}/{rest}; {rules}"),
            };
            conf += &format!("location {matcher} {path} {{ {body} }}\n");
        }
        conf
    }
}

/// One line of nginx's access log.
#[derive(Clone, Debug, PartialEq)]
pub struct Served {
    /// Seconds since the epoch when the answer ended.
    pub at: f64,
    /// Seconds from the request's first byte to the answer's last.
    pub took: f64,
    pub status: u16,
    /// Headers and body, as sent (after gzip).
    pub bytes: u64,
    /// The request's Range header, if any.
    pub range: Option<String>,
    /// The path asked for, without the query.
    pub path: String,
}

/// nginx serving dist/ on a free port; killed on drop.
pub struct Site {
    pub base: String,
    prefix: tempfile::TempDir,
    nginx: Child,
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.nginx.kill();
        let _ = self.nginx.wait();
    }
}

/// The site with the standard fault modes.
pub fn serve() -> Site {
    serve_with(Config::standard())
}

pub fn serve_with(config: Config) -> Site {
    let template =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/nginx.conf"))
            .unwrap();
    let prefix = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(super::dist(), prefix.path().join("root")).unwrap();
    std::fs::write(
        prefix.path().join("server.conf"),
        config.rules(prefix.path()),
    )
    .unwrap();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    // A port found free may be taken before nginx binds it: then try another.
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = template
            .replace("@PREFIX@", &prefix.path().display().to_string())
            .replace("@PORT@", &port.to_string())
            .replace("@USER@", if root { "user root;" } else { "" });
        let conf_path = prefix.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let mut nginx = Command::new(std::env::var("NGINX").unwrap_or_else(|_| "nginx".into()))
            .arg("-c")
            .arg(&conf_path)
            .arg("-p")
            .arg(prefix.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx runs (scripts/setup.sh --browser installs it)");
        if until_listening(&mut nginx, port) {
            return Site {
                base: format!("http://127.0.0.1:{port}"),
                prefix,
                nginx,
            };
        }
        let _ = nginx.kill();
        let _ = nginx.wait();
        let log = std::fs::read_to_string(prefix.path().join("error.log"));
        eprintln!("nginx did not start on port {port}: {log:?}");
    }
    panic!("nginx did not start; see the messages above")
}

/// Waits up to 10 s for nginx to accept connections on `port`; false if it exited.
fn until_listening(nginx: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = nginx.try_wait() {
            return false;
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

impl Site {
    /// Every answer so far, in the order they ended.
    pub fn log(&self) -> Vec<Served> {
        let text =
            std::fs::read_to_string(self.prefix.path().join("access.log")).unwrap_or_default();
        text.lines().map(parse).collect()
    }

    /// The paths asked for so far (without queries), in the order they were answered.
    pub fn requests(&self) -> Vec<String> {
        self.log().into_iter().map(|s| s.path).collect()
    }

    /// Serves `root` from now on, as a deploy replaces a static host's files.
    pub fn deploy(&self, root: &Path) {
        let next = self.prefix.path().join("root.next");
        std::os::unix::fs::symlink(root, &next).unwrap();
        // A rename replaces the link in one step: no request sees no site.
        std::fs::rename(&next, self.prefix.path().join("root")).unwrap();
    }

    /// Refuses every request (503) from now on, or serves again.
    pub fn set_down(&self, down: bool) {
        let flag = self.prefix.path().join("down");
        if down {
            std::fs::write(flag, b"").unwrap();
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    /// One request with `headers` (e.g. "Range: bytes=0-9"), answered in full: the status,
    /// the headers (names lower case) and the body as sent (chunks and all).
    pub fn get(&self, path: &str, headers: &[&str]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let addr = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).unwrap();
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for h in headers {
            request += &format!("{h}\r\n");
        }
        request += "\r\n";
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let end = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP answer");
        let head = String::from_utf8_lossy(&answer[..end]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        (status, headers, answer[end + 4..].to_vec())
    }
}

fn parse(line: &str) -> Served {
    // $msec $request_time $status $bytes_sent "$http_range" $request_uri
    let (head, rest) = line
        .split_once(" \"")
        .expect("scripts/nginx.conf's log format");
    let (range, path) = rest
        .rsplit_once("\" ")
        .expect("scripts/nginx.conf's log format");
    let mut f = head.split(' ');
    let mut next = || f.next().expect("scripts/nginx.conf's log format");
    Served {
        at: next().parse().unwrap(),
        took: next().parse().unwrap(),
        status: next().parse().unwrap(),
        bytes: next().parse().unwrap(),
        range: (range != "-").then(|| range.to_owned()),
        path: path.split('?').next().unwrap().to_owned(),
    }
}
