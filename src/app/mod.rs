//! The web app (wasm only): the page around the engine.

use leptos::prelude::*;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main class="page">
            <header>
                <h1>"SSAM"</h1>
                <p class="tagline">"Similar-image search over MNIST's 60,000 training digits, in your browser."</p>
            </header>
            <section class="card">
                <p>
                    "The search engine is built and benchmarked (see the README); the "
                    "drawing canvas, upload and results view are the next step."
                </p>
                <p>
                    "Shipped with this page: "
                    <a href="assets/mnist/train-images-idx3-ubyte.gz">"MNIST"</a>
                    " and a prebuilt forest, "
                    <a href="assets/index.ssam.gz">"index.ssam.gz"</a>
                    "."
                </p>
            </section>
            <footer>
                "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0."
            </footer>
        </main>
    }
}
