//! A dump of live objects: the output of `kubectl get ... -o yaml` (a
//! `List`, several concatenated outputs, or a multi-document stream; JSON
//! too), read from a file or standard input through the one object reader
//! ([`crate::objects`]) and the one YAML layer ([`crate::yaml`], which
//! bounds nesting depth and alias expansion). The dump is bounded in size
//! ([`DUMP_MAX_BYTES`]), every object must have a kind and a name, and the
//! same object twice with different contents is refused: every problem is
//! reported at once, with its line, and no value of the dump is echoed.

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::error::Error;
use crate::objects::value::At;
use crate::objects::{Manifest, Object};

/// The largest dump read: the objects of a few namespaces are megabytes;
/// a larger input is refused before it is parsed.
pub const DUMP_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// What names a dump on the command line for standard input.
pub const STDIN: &str = "-";

/// How to make a dump, in the errors that refuse one.
const HOW: &str =
    "make the dump with `kubectl get --namespace NS -o yaml KINDS` (see `harden check --help`)";

/// The identity of an object: API group, kind, namespace (none for an
/// object without one, as kubectl prints cluster-scoped objects) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Key {
    /// The key of `object`; `None` without a kind or a name.
    pub fn of(object: &Value) -> Option<Key> {
        let text = |pointer: &str| {
            object
                .at(pointer)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let api_version = text("/apiVersion").unwrap_or_default();
        Some(Key {
            group: api_version
                .rsplit_once('/')
                .map(|(group, _)| group.to_string())
                .unwrap_or_default(),
            kind: text("/kind")?.to_string(),
            namespace: text("/metadata/namespace").map(str::to_string),
            name: text("/metadata/name")?.to_string(),
        })
    }

    /// The arguments of `kubectl delete` for this object, quoted for a shell.
    pub fn delete_command(&self) -> String {
        use crate::quote::shell_arg;
        let kind = if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        };
        match &self.namespace {
            Some(namespace) => format!(
                "kubectl delete --namespace {} {} {}",
                shell_arg(namespace),
                shell_arg(&kind),
                shell_arg(&self.name)
            ),
            None => format!(
                "kubectl delete {} {}",
                shell_arg(&kind),
                shell_arg(&self.name)
            ),
        }
    }
}

/// `Kind/namespace/name` (or `Kind/name`), safe to print.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match &self.namespace {
            Some(namespace) => format!("{}/{namespace}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        };
        f.write_str(&crate::quote::printable(&text))
    }
}

/// One object of the dump.
#[derive(Debug, Clone)]
pub struct LiveObject {
    pub key: Key,
    /// The line it starts on in the dump.
    pub line: usize,
    pub value: Value,
}

/// The objects of a dump, each once.
#[derive(Debug, Clone)]
pub struct Dump {
    /// The dump as shown: its path, or `standard input`.
    pub name: String,
    pub objects: Vec<LiveObject>,
}

impl Dump {
    /// Reads the dump at `path` (`-`: standard input).
    pub fn read(path: &Path) -> Result<Dump, Error> {
        if path.as_os_str() == STDIN {
            return Dump::read_from("standard input", std::io::stdin().lock(), DUMP_MAX_BYTES);
        }
        let name = crate::quote::printable(&crate::workspace::shown(path));
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Input(format!("cannot read the live dump {name}: {e}")))?;
        Dump::read_from(&name, file, DUMP_MAX_BYTES)
    }

    /// Reads a dump of at most `limit` bytes from `reader`.
    pub fn read_from(name: &str, reader: impl Read, limit: u64) -> Result<Dump, Error> {
        let mut bytes = Vec::new();
        reader
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Input(format!("cannot read the live dump {name}: {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(Error::Input(format!(
                "the live dump {name} is larger than {limit} bytes\n  help: dump only the namespaces of the specs checked; {HOW}"
            )));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::Input(format!(
                "the live dump {name} is not UTF-8 (byte {})\n  help: {HOW}",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Dump::parse(name, &text)
    }

    /// Parses a dump's text.
    pub fn parse(name: &str, text: &str) -> Result<Dump, Error> {
        let manifests = Manifest::parse_all(name, text)
            .map_err(|error| Error::Input(format!("{error}\n  help: {HOW}")))?;
        let mut problems = Vec::new();
        let mut objects: Vec<LiveObject> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for manifest in &manifests {
            for object in Object::all_of(manifest) {
                let line = object.line_of("");
                let Some(key) = Key::of(object.document) else {
                    problems.push(format!(
                        "{name}:{line}: an object without a kind or a metadata.name\n  help: {HOW}"
                    ));
                    continue;
                };
                match seen.get(&key) {
                    None => {
                        seen.insert(key.clone(), objects.len());
                        objects.push(LiveObject {
                            key,
                            line,
                            value: object.document.clone(),
                        });
                    }
                    // The same object listed twice (`kubectl get all,deploy`),
                    // or read twice (every per-namespace `kubectl get
                    // namespaces` lists every Namespace): the same uid keeps
                    // the newer version.
                    Some(&index) if objects[index].value == *object.document => {}
                    Some(&index) if same_uid(&objects[index].value, object.document) => {
                        if version(object.document) >= version(&objects[index].value) {
                            objects[index] = LiveObject {
                                key,
                                line,
                                value: object.document.clone(),
                            };
                        }
                    }
                    Some(&index) => problems.push(format!(
                        "{name}:{line}: {key} is also at line {} with other contents\n  help: make the dump with one `kubectl get` command, so each object is in it once",
                        objects[index].line
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(Dump {
                name: name.to_string(),
                objects,
            })
        } else {
            Err(Error::Inputs(problems))
        }
    }
}

/// Whether two objects carry the same `metadata.uid`.
fn same_uid(a: &Value, b: &Value) -> bool {
    let uid = |v: &Value| {
        v.at("/metadata/uid")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    uid(a).is_some() && uid(a) == uid(b)
}

/// An object's `metadata.resourceVersion` as a number (kube-apiserver's
/// are etcd revisions; an opaque one counts as 0, so the later wins).
fn version(object: &Value) -> u64 {
    object
        .at("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_streams_and_json_are_read_with_their_lines() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: a, namespace: ns}\n- 3\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n";
        let dump = Dump::parse("d.yaml", text).unwrap();
        let keys: Vec<String> = dump
            .objects
            .iter()
            .map(|o| format!("{}@{}", o.key, o.line))
            .collect();
        assert_eq!(keys, ["ServiceAccount/ns/a@4", "ClusterRole/r@9"]);
        assert_eq!(dump.objects[1].key.group, "rbac.authorization.k8s.io");
        let json = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"}}";
        assert_eq!(Dump::parse("d.json", json).unwrap().objects.len(), 1);
    }

    #[test]
    fn bad_dumps_name_every_problem_without_echoing_values() {
        let text = "kind: Secret\nmetadata: {name: s, namespace: ns}\ndata: {k: c2VjcmV0}\n---\nkind: Secret\nmetadata: {name: s, namespace: ns}\ndata: {k: b3RoZXI=}\n---\nkind: Secret\nmetadata: {namespace: ns}\ndata: {k: dGhpcmQ=}\n---\nkind: Secret\nmetadata: {name: s, namespace: ns}\ndata: {k: c2VjcmV0}\n";
        let error = Dump::parse("d.yaml", text).unwrap_err().to_string();
        assert!(
            error.contains("d.yaml:5: Secret/ns/s is also at line 1"),
            "{error}"
        );
        assert!(
            error.contains("d.yaml:9: an object without a kind"),
            "{error}"
        );
        for value in ["c2VjcmV0", "b3RoZXI=", "dGhpcmQ="] {
            assert!(!error.contains(value), "{error}");
        }
        let versions = "kind: Namespace\nmetadata: {name: a, uid: u1, resourceVersion: \"7\"}\n---\nkind: Namespace\nmetadata: {name: a, uid: u1, resourceVersion: \"9\"}\n---\nkind: Namespace\nmetadata: {name: a, uid: u1, resourceVersion: \"8\"}\n";
        let dump = Dump::parse("d.yaml", versions).unwrap();
        assert_eq!(dump.objects.len(), 1);
        assert_eq!(version(&dump.objects[0].value), 9);
        let scalar = Dump::parse("d.yaml", "just text\n")
            .unwrap_err()
            .to_string();
        assert!(
            scalar.contains("d.yaml:1: not a Kubernetes object"),
            "{scalar}"
        );
        let big = Dump::read_from("d.yaml", "x".repeat(11).as_bytes(), 10).unwrap_err();
        assert!(big.to_string().contains("larger than 10 bytes"), "{big}");
        let binary = Dump::read_from("d.yaml", &[0xff, 0xfe][..], 10).unwrap_err();
        assert!(binary.to_string().contains("not UTF-8"), "{binary}");
    }

    #[test]
    fn delete_commands_are_quoted() {
        let key = Key {
            group: "rbac.authorization.k8s.io".into(),
            kind: "RoleBinding".into(),
            namespace: Some("n".into()),
            name: "x; rm -rf /".into(),
        };
        assert_eq!(
            key.delete_command(),
            "kubectl delete --namespace n RoleBinding.rbac.authorization.k8s.io 'x; rm -rf /'"
        );
    }
}
