//! The live audit's own variables (see [`super`]).

use super::Header;
use crate::model::Model;

/// Writes the live audit's variables.
pub fn write(_model: &Model, _header: &mut Header) {}
