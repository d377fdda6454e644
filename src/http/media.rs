//! Customers' files (prescription photos and PDFs) for the tenant's own
//! members: another tenant's file id answers 404, like an unknown one.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{Member, parse_id};
use crate::media::file_metadata;

/// The media routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_media))
}

/// One file a customer sent (an order's `prescription.media_id`), as a
/// download: photos and PDFs with their own type, anything else as
/// `application/octet-stream`, never rendered by the browser as a page.
#[utoipa::path(get, path = "/v1/media/{media_id}", tag = "orders",
    security(("bearer" = [])), params(("media_id" = Uuid, Path)),
    responses(
        (status = 200, description = "the file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "not found (for this caller)", body = ErrorBody),
    ))]
async fn get_media(
    member: Member,
    State(app): State<AppState>,
    Path(media_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let media_id = parse_id("media_id", &media_id)?;
    let (record, content) = app.media.read(member.tenant_id, media_id).await?;
    let filename = record.filename.unwrap_or_else(|| media_id.to_string());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                file_metadata::served_content_type(&record.mimetype).to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                file_metadata::attachment_disposition(&filename),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_owned(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        content,
    ))
}
