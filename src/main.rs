//! Mounts the web app. Everything it shows lives in `ssam::app`.

#[cfg(target_arch = "wasm32")]
fn main() {
    ssam::app::install_panic_hook();
    ssam::app::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("ssam-web is the browser app: run `bash scripts/serve.sh`, or `trunk serve`.");
}
