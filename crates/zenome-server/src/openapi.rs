//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers and
//! wire types so it cannot drift from them.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::api::dto;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every response gets a description (OpenAPI requires one; a handler that
/// gave none gets the status's meaning), so validators and generated
/// clients accept the document.
struct Described;

impl Modify for Described {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
                &mut item.head,
                &mut item.options,
            ]
            .into_iter()
            .flatten()
            {
                for (code, r) in op.responses.responses.iter_mut() {
                    if let utoipa::openapi::RefOr::T(r) = r
                        && r.description.trim().is_empty()
                    {
                        r.description = status_meaning(code).to_string();
                    }
                }
            }
        }
    }
}

fn status_meaning(code: &str) -> &'static str {
    match code {
        "200" => "OK",
        "201" => "created",
        "204" => "done, no content",
        "206" => "partial content",
        "400" => "bad request (problem+json naming the field)",
        "401" => "not authenticated",
        "403" => "not allowed for this role",
        "404" => "not found (or out of the caller's scope)",
        "409" => "conflict with the current state",
        "413" => "too large",
        "422" => "invalid field (problem+json naming it)",
        "429" => "too many requests",
        _ => "see the problem+json body",
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Zenome API", description = "Registry of participants, consent and specimen lineage of the national whole-genome programme. Errors are RFC 9457 problem+json."),
    paths(
        api::login, api::logout, api::me, api::public_summary,
        api::list_organisations, api::create_organisation, api::list_users, api::create_user,
        api::list_participants, api::create_participant, api::get_participant,
        api::get_consent, api::post_consent, api::get_lineage,
        api::create_node, api::get_node, api::patch_node, api::get_library, api::list_audit,
        api::access::list_datasets, api::access::create_dataset, api::access::get_dataset, api::access::add_members,
        api::access::dataset_participants, api::access::dataset_participant,
        api::access::list_applications, api::access::create_application, api::access::preview_application,
        api::access::preview_saved, api::access::get_application, api::access::update_application,
        api::access::submit_application, api::access::assign_application, api::access::withdraw_application,
        api::access::comment_application, api::access::request_changes, api::access::vote_application, api::access::declare_interests,
        api::access::list_grants, api::access::get_grant, api::access::revoke_grant, api::access::passport,
        api::access::list_alerts, api::access::acknowledge_alert, api::access::data_use, api::access::public_projects,
        crate::files_api::create, crate::files_api::status, crate::files_api::head, crate::files_api::patch, crate::files_api::cancel,
        crate::clinical_api::dictionary_versions, crate::clinical_api::dictionary, crate::clinical_api::get_record,
        crate::clinical_api::post_record, crate::clinical_api::history, crate::clinical_api::bulk, crate::clinical_api::template, crate::clinical_api::hpo_terms, crate::clinical_api::export,
        crate::clinical_api::phenopacket, crate::clinical_api::family, crate::clinical_api::import_phenopacket,
        api::credentials::list_tokens, api::credentials::issue_token, api::credentials::revoke_token,
        api::credentials::disable_user, api::credentials::enable_user,
        crate::variants_api::frequencies, crate::variants_api::load,
        crate::identity_api::list_holds, crate::identity_api::resolve, crate::identity_api::participant,
        crate::identity_api::fingerprint, crate::identity_api::relatedness,
        crate::qc_drift_api::latest, crate::qc_drift_api::list_runs, crate::qc_drift_api::run_now,
        crate::findings_api::participant_findings, crate::findings_api::list_trials,
        crate::findings_api::list_annotation_runs, crate::findings_api::run_annotation,
        crate::findings_api::refresh_knowledge, crate::findings_api::enter_trial,
        crate::findings_api::retire_trial,
        crate::prioritise_api::candidates,
        crate::grant_files_api::files, crate::grant_files_api::manifest,
        crate::notifications_api::list, crate::notifications_api::read,
        crate::reports_api::list_reports, crate::reports_api::draft_report,
        crate::reports_api::get_report, crate::reports_api::report_html,
        crate::reports_api::report_pdf, crate::reports_api::comment,
        crate::reports_api::interpretation, crate::reports_api::sign_off,
        crate::reports_api::release, crate::reports_api::acknowledge,
        crate::reports_api::conveyed, crate::reports_api::reanalyse,
        crate::reports_api::list_recontacts, crate::reports_api::raise_recontact,
        crate::reports_api::confirm_recontact, crate::reports_api::dismiss_recontact,
        crate::reports_api::recontact_outcome,
        crate::pipelines_api::list_pipelines, crate::pipelines_api::register_pipeline,
        crate::pipelines_api::get_pipeline, crate::pipelines_api::evaluate_pipeline,
        crate::pipelines_api::promote_pipeline, crate::pipelines_api::retire_pipeline,
        crate::pipelines_api::list_truth_sets, crate::pipelines_api::register_truth_set,
    ),
    components(schemas(crate::problem::Problem, dto::TreeNodeDto)),
    modifiers(&Bearer, &Described),
    tags((name = "registry"), (name = "consent"), (name = "lineage"), (name = "auth"), (name = "access"), (name = "admin"), (name = "public"), (name = "reports", description = "return of results: patient reports through review (sign-off with a second factor) to the collecting facility, consent-gated, with HTML and PDF; recontact requests"), (name = "findings", description = "annotation and actionability: a patient's annotated variants, therapies with evidence levels, secondary findings and trials; annotation runs and knowledge-base refreshes"), (name = "pipelines", description = "pipeline versions (tools, reference, parameters, container), truth sets, evaluations with hap.py's metrics per type and filter, and promotion of a version to current when it is not worse"), (name = "identity", description = "sample identity: fingerprints, checks and the holds that keep a genome back until staff resolve them"), (name = "variants", description = "cohort allele frequencies over who may be counted now; loading VCFs into the variant store"), (name = "clinical", description = "clinical records under the versioned data dictionary; bulk CSV/JSON; flat exports; GA4GH Phenopackets v2"), (name = "files", description = "tus 1.0 uploads of sequencing files; reads are GA4GH DRS 1.2 under /ga4gh/drs/v1 and htsget 1.3 under /htsget"))
)]
struct ApiDoc;

/// The OpenAPI document as JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

pub(crate) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
