//! Label selectors for the network-policy evaluator: the one matcher is
//! [`crate::objects::selector`], re-exported here under its old path.

pub use crate::objects::selector::*;
