//! The OpenAPI document's shared answers: what the extractors, the limiter and the store answer
//! on every route of a kind, added once here rather than on each handler — so the document
//! lists every status the server can send (checked by schemathesis in CI).

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Type};

/// Adds the shared answers to every operation and opens the objects that `allOf` combines.
pub fn complete(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            (false, item.get.as_mut()),
            (true, item.put.as_mut()),
            (true, item.post.as_mut()),
            (true, item.delete.as_mut()),
            (true, item.patch.as_mut()),
        ];
        for (writes, op) in operations {
            let Some(op) = op else { continue };
            add_shared_answers(op, writes);
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else { continue };
                for content in response.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = content.schema.as_mut()
                    {
                        open_all_of(schema);
                    }
                }
            }
        }
    }
    if let Some(components) = doc.components.as_mut() {
        components.schemas.values_mut().for_each(open_all_of);
    }
}

fn add_shared_answers(op: &mut Operation, writes: bool) {
    let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| {
        params.iter().any(
            |p| matches!(p, RefOr::T(p) if std::mem::discriminant(&p.parameter_in) == std::mem::discriminant(&place)),
        )
    };
    let (in_path, in_query) = (has(ParameterIn::Path), has(ParameterIn::Query));
    let body_type = op.request_body.as_ref().map(|b| match b {
        RefOr::T(b) => b.content.keys().next().cloned().unwrap_or_default(),
        RefOr::Ref(_) => String::new(),
    });

    let mut add = |status: &str, what: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(error_response(what)));
    };
    if authenticated {
        add("401", "No bearer token, or one that is unknown, expired or revoked.");
        add("503", "The database is unavailable; nothing was done. Try again.");
    }
    if in_path {
        add(
            "404",
            "Nothing is found at this address: an unknown id, or a part that is no valid id.",
        );
    }
    if in_query {
        add(
            "422",
            "A query parameter is of the wrong type, out of its range or unknown (`field` names it).",
        );
    }
    if let Some(content_type) = body_type {
        let json = content_type.contains("json");
        if json {
            add("415", "The body is not sent as `application/json`.");
        }
        if json || content_type.starts_with("text/") {
            add("400", "The body is malformed: not JSON, or not UTF-8 text.");
        }
        add("413", "The body is larger than this route takes.");
        add("422", "The body is well-formed but invalid (`field` names what).");
    }
    if writes && authenticated {
        add(
            "507",
            "The server's storage is full; nothing of this request was stored.",
        );
    }
    if authenticated && !op.responses.responses.contains_key("429") {
        let mut throttled = error_response("Too many calls with this token; `Retry-After` says when to call again.");
        throttled.headers.insert(
            "Retry-After".into(),
            RefOr::T(utoipa::openapi::header::Header::new(
                ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)),
            )),
        );
        op.responses.responses.insert("429".into(), RefOr::T(throttled));
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// An object that `allOf` combines with another must not forbid the other's properties: a
/// view that flattens a closed input type (`deny_unknown_fields`) and adds a timestamp is
/// written as `allOf`, and each part's `additionalProperties: false` would refuse the rest.
fn open_all_of(schema: &mut RefOr<Schema>) {
    if let RefOr::T(Schema::AllOf(all)) = schema {
        for part in &mut all.items {
            if let RefOr::T(Schema::Object(object)) = part {
                object.additional_properties = None;
            }
        }
    }
}
