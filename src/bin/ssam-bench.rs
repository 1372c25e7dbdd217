//! SSAM's engine as a WebAssembly module for `bench/browser-peers`, which times it beside
//! EdgeVec and hnswlib-wasm in one page: every peer is called the same way from the same
//! JavaScript loop, so the figures compare like with like.

#[cfg(target_arch = "wasm32")]
mod web {
    use ssam::{Dataset, Effort, Index, Scratch, format};
    use wasm_bindgen::prelude::*;

    /// A loaded index and the scratch its queries reuse.
    #[wasm_bindgen]
    pub struct SsamBench {
        index: Index,
        scratch: Scratch,
        ids: Vec<u32>,
    }

    fn error(e: impl std::fmt::Display) -> JsError {
        JsError::new(&e.to_string())
    }

    #[wasm_bindgen]
    impl SsamBench {
        /// Reads the training images and labels (gzip IDX) and the index file.
        pub fn load(images: &[u8], labels: &[u8], index: &[u8]) -> Result<SsamBench, JsError> {
            let train =
                Dataset::from_idx("train images", images, "train labels", labels).map_err(error)?;
            Ok(SsamBench {
                index: format::from_bytes("index", index, train).map_err(error)?,
                scratch: Scratch::new(),
                ids: Vec::new(),
            })
        }

        fn search(&mut self, query: &[u8], k: usize, effort: Effort) -> Result<Vec<u32>, JsError> {
            let found = self
                .index
                .search(query, k, effort, &mut self.scratch)
                .map_err(error)?;
            self.ids.clear();
            self.ids.extend(found.iter().map(|n| n.id));
            Ok(self.ids.clone())
        }

        /// The ids of the `k` nearest by the graph with a beam of `ef`, nearest first.
        pub fn search_graph(
            &mut self,
            query: &[u8],
            k: usize,
            ef: usize,
        ) -> Result<Vec<u32>, JsError> {
            self.search(query, k, Effort::Graph { ef })
        }

        /// The ids of the `k` nearest by the forest alone with `budget` candidates.
        pub fn search_forest(
            &mut self,
            query: &[u8],
            k: usize,
            budget: usize,
        ) -> Result<Vec<u32>, JsError> {
            self.search(query, k, Effort::Forest { budget })
        }

        /// Bytes of WebAssembly memory the module holds.
        pub fn memory_bytes(&self) -> f64 {
            (core::arch::wasm32::memory_size(0) * 65536) as f64
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("ssam-bench is a WebAssembly module for bench/browser-peers: run that instead.");
}
