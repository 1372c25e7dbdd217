//! Mounts the web app. Everything it shows lives in `ssam_web::page`.

#[cfg(target_arch = "wasm32")]
fn main() {
    ssam_web::page::install_panic_hook();
    ssam_web::page::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("ssam-web is the browser app: run `bash scripts/serve.sh`, or `trunk serve`.");
}
