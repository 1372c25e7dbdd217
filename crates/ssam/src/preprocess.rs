//! Turning any picture of a digit into a query that looks like MNIST, made the way MNIST
//! was made: grey levels, light ink on a dark ground, cropped to the ink, the longer side
//! scaled to 20 pixels by area averaging with the aspect ratio kept, and placed in a
//! 28x28 field so that its centre of mass is in the middle. Which ink is the digit (a
//! photo's uneven light, shadows and specks, a page of several digits) is `ink`'s part.

mod filter;
mod ink;
mod prepare;

pub use prepare::{BOX, MAX_PIXELS, Prepared, SIDE, luminance, prepare_grey, prepare_rgba, resize};
