//! Pointers, the wheel and keys on the map. The page's scroll belongs to the page: one
//! finger (the canvas's `touch-action: pan-y` lets the browser scroll) and the plain wheel
//! pass through. Two fingers move and zoom the map, as do a mouse drag, Ctrl and the wheel
//! (what a touchpad's pinch sends), and keys; arrows step from point to point.

use leptos::prelude::*;
use web_sys::{KeyboardEvent, PointerEvent, TouchEvent, WheelEvent};

use super::panel::MapState;
use super::view::{Press, Step};

/// A press that moves further than this many CSS pixels is a drag, not a click.
const CLICK_SLOP: f64 = 4.0;

impl MapState {
    /// Where `ev` is on the canvas in device pixels, and the device pixel ratio.
    fn at(self, ev: &PointerEvent) -> Option<(f64, f64, f64)> {
        let c = self.canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        let dpr = self.view.with_value(|v| v.as_ref().map_or(1.0, |v| v.dpr));
        Some((
            (f64::from(ev.client_x()) - rect.left()) * dpr,
            (f64::from(ev.client_y()) - rect.top()) * dpr,
            dpr,
        ))
    }

    pub fn on_down(self, ev: PointerEvent) {
        let Some((x, y, _)) = self.at(&ev) else {
            return;
        };
        let touch = ev.pointer_type() == "touch";
        // A finger is captured by the browser already; a mouse keeps dragging off the map.
        if !touch && let Some(c) = self.canvas.get_untracked() {
            let _ = c.set_pointer_capture(ev.pointer_id());
        }
        self.view.update_value(|v| {
            let Some(v) = v else { return };
            v.pointers.retain(|p| p.0 != ev.pointer_id());
            v.pointers.push((ev.pointer_id(), x, y));
            // A second finger makes a pinch, never a tap.
            v.press = (v.pointers.len() == 1).then_some(Press {
                from: (x, y),
                centre: (v.cx, v.cy),
                moved: false,
                touch,
            });
        });
    }

    pub fn on_move(self, ev: PointerEvent) {
        let Some((x, y, dpr)) = self.at(&ev) else {
            return;
        };
        let mut pointing = false;
        self.view.update_value(|v| {
            let Some(v) = v else { return };
            let before = v.pointers.clone();
            let Some(p) = v.pointers.iter_mut().find(|p| p.0 == ev.pointer_id()) else {
                pointing = true;
                return;
            };
            (p.1, p.2) = (x, y);
            if v.pointers.len() == 2 && before.len() == 2 {
                // Two fingers: the map follows their middle and zooms by their spread.
                let spread =
                    |p: &[(i32, f64, f64)]| ((p[0].1 - p[1].1).hypot(p[0].2 - p[1].2)).max(1.0);
                let middle = |p: &[(i32, f64, f64)]| {
                    (
                        ((p[0].1 + p[1].1) / 2.0) as f32,
                        ((p[0].2 + p[1].2) / 2.0) as f32,
                    )
                };
                let (from, to) = (middle(&before), middle(&v.pointers));
                v.pan(to.0 - from.0, to.1 - from.1);
                v.zoom_at((spread(&v.pointers) / spread(&before)) as f32, to.0, to.1);
            } else if let Some(p) = &mut v.press {
                let (dx, dy) = (x - p.from.0, y - p.from.1);
                p.moved |= dx.hypot(dy) > CLICK_SLOP * dpr;
                // One finger is the page's (it scrolls it): it only taps.
                if p.moved && !p.touch {
                    let centre = p.centre;
                    (v.cx, v.cy) = centre;
                    v.pan(dx as f32, dy as f32);
                }
            }
        });
        if !pointing {
            self.schedule();
        } else if ev.pointer_type() != "touch" {
            let id = self
                .view
                .with_value(|v| v.as_ref().and_then(|v| v.under(x as f32, y as f32)));
            if id != self.focus.get_untracked().map(|f| f.0) {
                self.set_focus(id);
            }
        }
    }

    pub fn on_up(self, ev: PointerEvent) {
        let Some((x, y, _)) = self.at(&ev) else {
            return;
        };
        let press = self
            .view
            .try_update_value(|v| {
                let v = v.as_mut()?;
                v.pointers.retain(|p| p.0 != ev.pointer_id());
                if v.pointers.is_empty() {
                    v.press.take()
                } else {
                    None
                }
            })
            .flatten();
        let Some(press) = press.filter(|p| !p.moved) else {
            return;
        };
        // A click searches with the point under it; a tap shows it first (a finger
        // cannot hover), with a button to search.
        let id = self
            .view
            .with_value(|v| v.as_ref().and_then(|v| v.under(x as f32, y as f32)));
        self.set_focus(id);
        if let Some(id) = id
            && !press.touch
        {
            self.search_for(id);
        }
    }

    /// The browser took the pointer (a finger that scrolls the page): no tap, no drag.
    pub fn on_cancel(self, ev: PointerEvent) {
        self.view.update_value(|v| {
            if let Some(v) = v {
                v.pointers.retain(|p| p.0 != ev.pointer_id());
                v.press = None;
            }
        });
    }

    pub fn on_leave(self, ev: PointerEvent) {
        if ev.pointer_type() != "touch"
            && self
                .view
                .with_value(|v| v.as_ref().is_some_and(|v| v.press.is_none()))
        {
            self.set_focus(None);
        }
    }

    /// Ctrl and the wheel (and a touchpad's pinch, which the browser sends as that) zoom
    /// about the pointer; the plain wheel scrolls the page.
    pub fn on_wheel(self, ev: WheelEvent) {
        if !ev.ctrl_key() {
            return;
        }
        let Some(c) = self.canvas.get_untracked() else {
            return;
        };
        ev.prevent_default();
        let rect = c.get_bounding_client_rect();
        let pixels = match ev.delta_mode() {
            WheelEvent::DOM_DELTA_LINE => 16.0,
            WheelEvent::DOM_DELTA_PAGE => 400.0,
            _ => 1.0,
        };
        self.change(|v| {
            let factor = (-ev.delta_y() as f32 * pixels * 0.002)
                .exp()
                .clamp(0.5, 2.0);
            let sx = ((f64::from(ev.client_x()) - rect.left()) * v.dpr) as f32;
            let sy = ((f64::from(ev.client_y()) - rect.top()) * v.dpr) as f32;
            v.zoom_at(factor, sx, sy);
        });
    }

    /// Two fingers are the map's: the browser must not scroll the page with them.
    pub fn on_touch_move(self, ev: TouchEvent) {
        if ev.touches().length() >= 2 && ev.cancelable() {
            ev.prevent_default();
        }
    }

    /// Arrows step the focus from point to point (with Shift, they move the map); Enter
    /// or Space searches with the point in focus; + and - zoom, 0 and Home show it whole.
    pub fn on_key(self, ev: KeyboardEvent) {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let arrow = match ev.key().as_str() {
            "ArrowLeft" => Some((-1.0, 0.0)),
            "ArrowRight" => Some((1.0, 0.0)),
            "ArrowUp" => Some((0.0, -1.0)),
            "ArrowDown" => Some((0.0, 1.0)),
            _ => None,
        };
        if let Some((dx, dy)) = arrow {
            ev.prevent_default();
            if ev.shift_key() {
                self.change(|v| v.step(Step::Pan(dx, dy)));
            } else {
                self.step_focus((dx, dy));
            }
            return;
        }
        let what = match ev.key().as_str() {
            "Enter" | " " => {
                if let Some((id, _)) = self.focus.get_untracked() {
                    ev.prevent_default();
                    self.search_for(id);
                }
                return;
            }
            "+" | "=" => Step::Zoom(1.5),
            "-" | "_" => Step::Zoom(1.0 / 1.5),
            "0" | "Home" => Step::Reset,
            _ => return,
        };
        ev.prevent_default();
        self.change(|v| v.step(what));
    }

    /// Moves the focus to the next point in direction `dir`, bringing it into sight; the
    /// first step focuses where stepping starts.
    fn step_focus(self, dir: (f32, f32)) {
        let next = self
            .view
            .try_update_value(|v| {
                let v = v.as_mut()?;
                let next = match v.focus {
                    Some(from) => v.neighbour(from, dir).unwrap_or(from),
                    None => v.first_point()?,
                };
                v.keep_in_sight(next);
                Some(next)
            })
            .flatten();
        if next.is_some() {
            self.set_focus(next);
        }
    }
}
