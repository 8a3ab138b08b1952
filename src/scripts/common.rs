//! The variables of `_common.sh.j2`, which both scripts include (see
//! [`super`]).

use super::Header;
use crate::model::Model;

/// Writes the shared variables.
pub fn write(_model: &Model, _header: &mut Header) {}
