//! One reader of Kubernetes objects, below every feature that judges or
//! compares them (the audit, the impact summary, Pod Security, the
//! network-policy evaluator, and next the live-cluster drift check and the
//! admission guard). It imports nothing of harden but [`crate::yaml`].
//!
//! - [`manifest`]: YAML streams into [`Manifest`]s (one per document, with
//!   file and lines) and [`Object`]s (a `*List`'s items, or the document).
//! - [`pod`]: the one pod-template walker, [`PodTemplate::of`] for a Pod,
//!   Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob or
//!   ReplicationController: its containers (init, regular and ephemeral,
//!   each with its field path), volumes, service account, security contexts,
//!   labels and annotations.
//! - [`selector`]: the one label-selector matcher (`matchLabels` and
//!   `matchExpressions` with `In`, `NotIn`, `Exists`, `DoesNotExist`).
//! - [`value`]: small readers of JSON values (string lists, label maps).

pub mod manifest;
pub mod pod;
pub mod selector;
pub mod value;

pub use manifest::{
    Manifest, Object, ParseError, documents, objects_in, parse_document, read_documents,
};
pub use pod::{Container, ContainerKind, PodTemplate};
pub use selector::{Labels, Selector};
