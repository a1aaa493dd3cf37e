use crate::keys::DeviceId;

/// What went wrong, naming the device whose log was refused. Never holds a value or a key.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the operating system gave no random bytes")]
    Random,
    #[error(
        "the log of device {device} was refused: {why}. Nothing was applied; the remote may have been tampered with"
    )]
    Refused { device: DeviceId, why: String },
    #[error("the sync data is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Pairing(String),
    #[error("git {what} failed: {message}")]
    Git { what: String, message: String },
    /// An `s3://` URL that does not say where to sync.
    #[error("{0}")]
    Location(String),
    #[error("the storage's {what} failed: {message}")]
    Storage { what: String, message: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn refused(device: DeviceId, why: impl Into<String>) -> Error {
        Error::Refused {
            device,
            why: why.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
