#![allow(
    clippy::unwrap_used,
    reason = "integration tests: a panic is a failure with a location"
)]
//! The integration suite: every test starts the real application on a random port with a fresh
//! database and talks to it over HTTP. Each test runs once on SQLite and once on PostgreSQL;
//! the PostgreSQL runs need `CARELOOP_TEST_PG_URL` (a server where the user may create
//! databases) and are reported as ignored, with a note saying so, when it is not set.

mod admin;
mod advice;
mod auth;
mod browser;
mod errors;
mod figures;
mod followup;
mod helpers;
mod imports;
mod observations;
mod outbox;
mod patients;
mod plans;
mod questionnaires;
mod records;
mod report;
mod risk_models;
mod rules;
mod tag_rules;
mod tiers;
mod triggers;
mod ui;
mod visits;

use helpers::{Backend, TestFn};
use libtest_mimic::{Arguments, Trial};

macro_rules! tests {
    ($($path:path),* $(,)?) => {
        vec![$((stringify!($path).replace(' ', ""), (|app| Box::pin($path(app))) as TestFn)),*]
    };
}

fn main() {
    let args = Arguments::from_args();
    let pg = std::env::var(helpers::PG_ENV).ok().filter(|v| !v.is_empty());
    if pg.is_none() {
        eprintln!(
            "\nNOTE: the PostgreSQL half of the suite is SKIPPED (shown as ignored).\n      To run it: {}=postgres://postgres@127.0.0.1:5432/postgres cargo test\n",
            helpers::PG_ENV
        );
    }
    let all: Vec<(String, TestFn)> = tests![
        imports::the_synthea_bundles_import_cleanly_and_a_second_import_changes_nothing,
        imports::bulk_ndjson_resolves_references_across_files,
        imports::bad_resources_are_reported_at_their_location_and_the_rule_is_kept,
        imports::an_import_cannot_reach_another_departments_patient,
        imports::hl7_results_import_with_any_separator_and_corrections_replace_values,
        imports::hl7_in_gb18030_from_a_chinese_lis_is_decoded,
        imports::a_reported_death_stops_an_enrolled_patients_follow_up,
        imports::a_patient_without_a_mobile_is_kept_and_their_messages_fail_to_the_nurse,
        imports::spreadsheets_import_through_a_saved_profile,
        advice::advice_is_matched_with_why_versioned_and_shown_to_staff_and_patient,
        report::the_report_covers_its_period_from_the_data_only,
        report::the_report_names_each_tier_in_words,
        tag_rules::rule_tags_follow_the_record_and_staff_tags_stay,
        tag_rules::high_risk_and_overdue_is_tagged_by_the_scheduler,
        tiers::the_tier_follows_new_results_and_never_lowers_a_clinicians,
        tiers::imported_checkup_results_tier_and_enrol,
        tiers::a_bulk_import_queues_the_tier_refresh_for_the_scheduler,
        tiers::the_record_and_the_organisation_location_collapse_the_model_bounds,
        triggers::a_diagnosis_enrols_the_patient_once_and_a_stopped_plan_stays_stopped,
        triggers::a_discharge_starts_post_discharge_follow_up_from_its_date,
        triggers::a_tag_or_an_abnormal_value_enrols_in_protocols_with_that_trigger,
        rules::outcome_rules_raise_alerts_referrals_and_earlier_follow_ups,
        rules::a_rule_fires_beside_the_national_classification,
        rules::a_dry_run_replays_candidate_rules_over_stored_visits,
        admin::departments_and_users_are_managed_by_admins,
        admin::clinical_staff_cannot_administer,
        admin::every_read_and_write_of_a_patient_is_audited,
        admin::the_audit_trail_cannot_be_changed,
        admin::departments_must_belong_to_an_existing_organisation,
        admin::department_codes_are_case_insensitive_everywhere,
        admin::the_openapi_document_describes_the_api,
        admin::the_demo_population_loads_and_is_searchable,
        auth::login_gives_a_token_that_authenticates,
        auth::requests_without_a_valid_token_are_rejected,
        auth::five_failed_logins_lock_the_account_until_an_admin_unlocks_it,
        auth::weak_passwords_are_refused,
        errors::malformed_json_is_400,
        errors::wrong_field_types_are_422_naming_the_field,
        errors::unknown_fields_are_422,
        errors::every_route_refuses_an_unknown_body_field,
        errors::oversized_bodies_are_413,
        errors::non_json_bodies_are_415,
        errors::unknown_ids_are_404,
        figures::the_figures_count_coverage_completion_contact_loss_management_and_control,
        figures::the_figures_break_down_by_protocol_staff_department_and_month,
        followup::the_builtin_protocols_are_listed,
        followup::a_hypertension_plan_schedules_quarterly_calls_for_the_department_nurse,
        followup::a_past_discharge_makes_tasks_due_or_overdue_through_the_state_machine,
        followup::plan_requests_are_validated_and_scoped,
        followup::the_scheduler_opens_windows_and_marks_overdue_exactly_once,
        followup::a_year_of_daily_ticks_leaves_every_unworked_visit_overdue,
        followup::careloop_tick_runs_a_pass_as_of_the_given_instant,
        followup::protocols_are_imported_as_new_versions_and_running_plans_keep_theirs,
        observations::values_are_converted_to_canonical_units_and_flagged,
        observations::ten_years_of_values_become_trends,
        observations::a_batch_is_stored_whole_or_not_at_all,
        observations::bad_codes_units_and_values_are_rejected_precisely,
        outbox::a_questionnaire_link_goes_out_once_and_shows_in_the_outbox,
        outbox::plan_links_go_to_the_proxy_who_receives_them,
        outbox::a_sent_questionnaire_answered_by_the_patient_completes_its_task_and_drives_the_rules,
        outbox::a_reminder_sms_completes_its_task_when_delivered,
        outbox::nothing_is_sent_in_quiet_hours,
        outbox::a_message_claimed_by_a_process_that_died_is_sent_once_after_its_lease,
        outbox::quiet_hours_are_set_per_organisation_and_per_patient,
        outbox::a_provider_that_hangs_cannot_stall_the_scheduler,
        outbox::three_schedulers_send_every_step_once_when_one_is_killed,
        patients::enrolment_returns_id_and_card_number_and_derives_from_the_id_number,
        patients::a_wrong_id_check_digit_is_rejected,
        patients::staff_record_a_death_and_an_admin_can_undo_a_mistaken_one,
        patients::a_birth_date_contradicting_the_id_number_is_rejected,
        patients::a_duplicate_id_number_is_a_conflict_and_writes_nothing,
        patients::a_batch_with_one_bad_patient_enrols_nobody,
        patients::search_matches_name_pinyin_phone_id_and_card,
        patients::lists_mask_identifiers_and_the_detail_shows_them,
        patients::nurses_see_only_their_department,
        patients::edits_are_validated_as_a_whole,
        plans::an_unanswered_call_comes_back_when_its_retry_is_due,
        plans::three_failed_follow_ups_make_the_patient_lost_to_follow_up,
        plans::a_reached_call_resets_the_run_of_failures,
        plans::plans_are_paused_resumed_and_stopped_with_reasons,
        plans::a_transfer_moves_the_follow_up_work_to_the_new_department,
        plans::patients_are_enrolled_in_batches_with_skips_reported,
        plans::round_robin_steps_go_to_the_role_they_name,
        questionnaires::the_sdc_phq9_example_imports_unchanged_and_its_response_scores_and_alerts,
        questionnaires::responses_are_checked_item_by_item_and_partial_saves_resume,
        questionnaires::responses_need_a_patient_of_your_department_and_a_known_questionnaire,
        questionnaires::a_patient_answers_phq9_from_a_link_on_their_phone,
        questionnaires::built_in_forms_record_readings_score_satisfaction_and_skip,
        questionnaires::a_family_proxy_answers_with_consent_that_can_be_withdrawn,
        questionnaires::the_patient_sees_their_own_readings_and_coming_follow_ups,
        questionnaires::response_rates_count_links_and_answers_by_channel_hour_and_age,
        questionnaires::free_text_replies_are_analysed_and_routed,
        questionnaires::the_patient_page_steps_one_question_per_screen,
        questionnaires::staff_withdraw_a_single_link,
        questionnaires::imported_questionnaires_declare_their_own_bands,
        questionnaires::staff_bind_and_revoke_a_proxy_on_the_patient_page,
        risk_models::risk_models_and_classifications_through_the_api,
        plans::a_risk_tier_plans_post_checkup_follow_up_and_a_new_tier_re_plans_it,
        plans::tasks_are_rescheduled_reassigned_and_cancelled,
        plans::records_are_corrected_by_amendments_that_keep_the_original,
        records::the_health_record_round_trips,
        records::diagnoses_are_added_and_listed,
        visits::a_controlled_elderly_patient_is_seen_again_at_the_next_quarterly_call,
        visits::uncontrolled_twice_in_a_row_means_referral_and_a_severe_alert,
        visits::emergency_values_mean_urgent_referral_and_a_doctor_alert,
        visits::unanswered_calls_are_counted_and_fail_after_the_retry_limit,
        visits::a_deceased_patient_s_plan_stops_and_its_tasks_are_cancelled,
        visits::records_are_validated_immutable_and_one_per_completed_task,
        visits::unhandled_alerts_escalate_until_acknowledged_and_close_with_an_outcome,
        ui::login_page_and_protected_pages_work,
        ui::forms_without_the_csrf_token_are_refused,
        ui::enrol_form_shows_field_errors_and_creates_patients,
        ui::the_worklist_shows_overdue_calls_with_red_day_tags,
        ui::a_nurse_signs_a_call_from_the_call_sheet_with_its_script,
        ui::protocols_are_viewable_exportable_and_dry_run_from_the_ui,
        ui::the_worklist_filters_by_protocol_and_scope_and_sorts_by_name,
        ui::a_doctor_assesses_a_risk_tier_and_the_worklist_filters_by_it,
        ui::patients_ticked_on_the_list_are_enrolled_in_a_batch,
        ui::the_questionnaire_library_previews_as_the_patient_sees_it,
        ui::the_call_sheet_names_an_unanswered_call_in_its_own_words,
        ui::a_patient_page_view_writes_one_audit_row,
    ];
    let chrome = browser::chromedriver();
    if chrome.is_none() {
        eprintln!(
            "NOTE: the browser tests are SKIPPED: install chromium and chromium-driver (or set {}).\n",
            browser::CHROMEDRIVER_ENV
        );
    }
    let mut trials = Vec::new();
    // The pages are the same on both backends, so the browser runs once, on SQLite.
    for (name, test) in tests![
        browser::a_nurse_enrols_a_patient_and_records_values_in_chromium,
        browser::the_patient_list_fits_a_phone_screen,
        browser::a_nurse_works_through_the_worklist_in_chromium,
        browser::a_patient_fills_phq9_on_a_phone_in_chromium,
        browser::the_health_report_prints_to_a4_in_chromium,
    ] {
        let t = Trial::test(name.clone(), move || helpers::run(Backend::Sqlite, test));
        trials.push(if chrome.is_some() { t } else { t.with_ignored_flag(true) });
    }
    for (name, test) in all {
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            helpers::run(Backend::Sqlite, test)
        }));
        let pg_trial = Trial::test(format!("postgres::{name}"), move || {
            helpers::run(Backend::Postgres, test)
        });
        trials.push(if pg.is_some() {
            pg_trial
        } else {
            pg_trial.with_ignored_flag(true)
        });
    }
    libtest_mimic::run(&args, trials).exit();
}
