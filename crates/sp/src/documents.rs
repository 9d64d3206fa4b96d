//! Documents submitted to a review: business licenses, photo IDs, face images, security
//! evidence, app listing images. They are sensitive personal data: bounded in size, typed by
//! their content (not their name), sealed under the at-rest key bound to their id, never
//! logged, and deleted when their review is withdrawn or closed.

use crate::Sandbox;
use crate::apps::ConsoleError;
use serde_json::{Value, json};
use store::review as repo;

/// The largest document accepted.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// The most documents one review holds.
const MAX_DOCUMENTS: usize = 200;

/// A document's media type, from its first bytes.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if !bytes.is_empty() && std::str::from_utf8(bytes).is_ok_and(|t| !t.contains('\0')) {
        Some("text/plain")
    } else {
        None
    }
}

/// The kinds of document and the types each accepts.
fn accepted(kind: &str) -> Option<&'static [&'static str]> {
    const DOC: &[&str] = &["application/pdf", "image/png", "image/jpeg"];
    const IMAGE: &[&str] = &["image/png", "image/jpeg"];
    const EVIDENCE: &[&str] = &["application/pdf", "image/png", "image/jpeg", "text/plain"];
    match kind {
        "business-license" | "photo-id" => Some(DOC),
        "face-image" | "logo" | "screenshot" => Some(IMAGE),
        "evidence" => Some(EVIDENCE),
        _ => None,
    }
}

/// The size rules of app listing images: the logo square, 300 to 2000 pixels a side; a
/// screenshot exactly 1280 by 800 pixels.
fn check_dimensions(kind: &str, bytes: &[u8]) -> Result<(), ConsoleError> {
    let rule = match kind {
        "logo" => "a square of 300 to 2000 pixels a side",
        "screenshot" => "1280 by 800 pixels",
        _ => return Ok(()),
    };
    let size = imagesize::blob_size(bytes)
        .map_err(|_| ConsoleError::invalid(format!("the {kind} is not a readable PNG or JPEG image")))?;
    let (w, h) = (size.width, size.height);
    let ok = match kind {
        "logo" => w == h && (300..=2000).contains(&w),
        _ => (w, h) == (1280, 800),
    };
    if ok { Ok(()) } else { Err(ConsoleError::invalid(format!("the {kind} is {w}x{h} pixels; it must be {rule}"))) }
}

fn aad(document_id: &str) -> Vec<u8> {
    format!("review-document:{document_id}").into_bytes()
}

impl Sandbox {
    /// Stores a document for `review_id` (in `tx`), checked and sealed; returns its description.
    pub(crate) async fn add_document(
        &self,
        tx: &mut store::Tx,
        review_id: &str,
        kind: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<repo::Document, ConsoleError> {
        let types = accepted(kind).ok_or_else(|| {
            ConsoleError::invalid(format!(
                "{kind:?} is not a document kind: business-license, photo-id, face-image, evidence, logo or screenshot"
            ))
        })?;
        if bytes.is_empty() {
            return Err(ConsoleError::invalid("the document is empty"));
        }
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        if file_name.is_empty() || file_name.len() > 255 || file_name.contains(['/', '\\', '\0']) {
            return Err(ConsoleError::invalid("the file name must be 1 to 255 characters, without a path"));
        }
        let content_type = sniff(bytes).filter(|t| types.contains(t)).ok_or_else(|| {
            ConsoleError::invalid(format!(
                "a {kind} must be one of: {} (by its content, not its name)",
                types.join(", ")
            ))
        })?;
        check_dimensions(kind, bytes)?;
        if repo::documents(tx, review_id).await?.len() >= MAX_DOCUMENTS {
            return Err(ConsoleError::invalid(format!("a review holds at most {MAX_DOCUMENTS} documents")));
        }
        let document_id = self.ids().uuid();
        let sealed = self.deps.at_rest.seal(self.deps.rng.as_ref(), bytes, &aad(&document_id));
        let doc = repo::Document {
            document_id,
            review_id: review_id.to_owned(),
            kind: kind.to_owned(),
            file_name: file_name.to_owned(),
            content_type: content_type.to_owned(),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha256: hex::encode(crypto::sha256(bytes)),
            created_ms: self.now_ms(),
        };
        repo::insert_document(tx, &doc, &sealed).await?;
        Ok(doc)
    }

    /// The document `document_id` of `review_id`, opened (for Amazon's reviewers).
    pub(crate) async fn document(
        &self,
        review_id: &str,
        document_id: &str,
    ) -> Result<(repo::Document, Vec<u8>), ConsoleError> {
        let mut conn = self.reader().await?;
        let doc = repo::documents(&mut conn, review_id)
            .await?
            .into_iter()
            .find(|d| d.document_id == document_id)
            .ok_or_else(|| ConsoleError::not_found(format!("no document {document_id} in {review_id}")))?;
        let sealed = repo::document_content(&mut conn, document_id)
            .await?
            .ok_or_else(|| ConsoleError::not_found(format!("no document {document_id}")))?;
        let plain = self.deps.at_rest.open(&sealed, &aad(document_id)).map_err(|_| {
            tracing::error!(document = document_id, "a document does not open under the at-rest key");
            ConsoleError {
                code: "InternalFailure",
                message: "the document cannot be opened; see the server log".into(),
            }
        })?;
        Ok((doc, plain.to_vec()))
    }
}

/// The document of `kind` among `docs` with this id, checked to be one (a form names the
/// documents it relies on by id).
pub(crate) fn require_document<'a>(
    docs: &'a [repo::Document],
    id: &str,
    kind: &str,
) -> Result<&'a repo::Document, ConsoleError> {
    docs.iter()
        .find(|d| d.document_id == id && d.kind == kind)
        .ok_or_else(|| ConsoleError::invalid(format!("{id} is not a {kind} document of this request: upload it first")))
}

pub(crate) fn too_large() -> ConsoleError {
    ConsoleError {
        code: "PayloadTooLarge",
        message: format!("a document is at most {MAX_DOCUMENT_BYTES} bytes (10 MiB)"),
    }
}

pub(crate) fn document_json(d: &repo::Document) -> Value {
    json!({"documentId": d.document_id, "kind": d.kind, "fileName": d.file_name, "contentType": d.content_type, "size": d.size, "sha256": d.sha256})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_typed_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(sniff(b"MZ\x90\x00\x03"), None);
        assert_eq!(sniff(b"plain words"), Some("text/plain"));
        assert!(accepted("face-image").unwrap().iter().all(|t| t.starts_with("image/")));
        assert!(accepted("passport").is_none());
    }
}
