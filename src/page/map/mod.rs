//! The map, as a view: every training digit a point coloured by its label, drawn into one
//! pixel buffer per frame (a 2D canvas: 60,000 points cost a loop over memory, not 60,000
//! canvas calls); zoomed in, the points become the digits' pictures. The query sits where
//! its nearest digits are, joined to them. The map is asked for only once a first result
//! is shown.
//!
//! The page's scroll belongs to the page: one finger and the plain wheel scroll it over
//! the map as anywhere else. Two fingers, a pinch, Ctrl and the wheel (what a touchpad's
//! pinch sends), a mouse drag and the buttons move and zoom the map. From the keyboard,
//! arrows step from point to point and Enter searches with the one ringed.
//!
//! [`view`] is what is shown and how it is looked at (geometry), [`paint`] draws it in
//! the [`colours`] by label, [`input`] turns pointers, wheel and keys into changes of it,
//! [`panel`] is the Leptos view with its effects, [`place`] puts the query on the map, and
//! [`own`] lays out an own set's map on request.

mod colours;
mod input;
mod own;
mod paint;
mod panel;
mod place;
mod view;

pub use panel::MapPanel;
