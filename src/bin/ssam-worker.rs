//! The engine's Web Worker: Trunk builds it beside the app (`data-type="worker"` in
//! index.html) and the page starts it. Everything it does lives in `ssam_web::worker`.

#[cfg(target_arch = "wasm32")]
fn main() {
    ssam_web::worker::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "ssam-worker is the web app's worker: run `bash scripts/serve.sh`, or `trunk serve`."
    );
}
