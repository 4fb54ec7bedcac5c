//! The consumption history as a document, on both backends (R4, R8): clipped to the
//! customer's occupancy, addressed to the shipping address, labelled with the journal index of
//! its issue in text a reader extracts from the PDF, and journaled with its digest.

use app::{AppError, Cloison, Role, StoreError};
use jiff::civil::date;

use crate::each_backend;
use crate::harness::{actor, auditor, ean, id, small_register};

fn text(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).expect("the PDF's text")
}

async fn the_history_is_clipped_addressed_labelled_and_journaled(app: &Cloison) {
    small_register(app).await;
    let customer = actor("nu-yasmine", Role::Customer);
    // The window starts before the occupancy (2024-01-01): the document starts with it.
    let issued = app
        .consumption_history(&customer, ean(), date(2023, 6, 1), date(2024, 3, 1), None)
        .await
        .expect("issued");
    let pdf = text(&issued.pdf);
    assert!(pdf.contains(&ean().to_string()), "{pdf}");
    assert!(pdf.contains("Rue de Fer 12, 5000 Namur"), "addressed to the shipping address: {pdf}");
    // The window ends at the Brussels midnight that opens 1 March.
    assert!(pdf.contains("2024-01-01T00:00:00Z to 2024-02-29T23:00:00Z"), "{pdf}");
    assert!(!pdf.contains("2023-06-01"), "nothing before the occupancy: {pdf}");
    let label = format!("label: CONFIDENTIAL - personal data; journal: {}", issued.journal_index);
    assert!(pdf.contains(&label), "{pdf}");
    assert_eq!(issued.csv.lines().next(), Some(format!("# {label}").as_str()));
    // The entry at that index records the issue, with the PDF's digest.
    let entry = app.journal_entry(&auditor(), issued.journal_index).await.expect("entry").into_view().entry;
    assert_eq!((entry.action.as_str(), entry.outcome.as_str()), ("document.history", "ok"));
    assert_eq!(entry.data_digest, Some(app::Hash::digest(&issued.pdf)));
    assert!(entry.subjects.contains(&format!("csv:{}", issued.csv_sha256)), "{:?}", entry.subjects);

    // Staff ask on behalf of a named customer only.
    let staff = actor("staff-x", Role::MeteringStaff);
    match app.consumption_history(&staff, ean(), date(2025, 1, 1), date(2025, 2, 1), None).await {
        Err(AppError::Invalid(StoreError::Config { field: "customer", .. })) => {}
        other => panic!("{:?}", other.map(|i| i.label)),
    }
    let on_behalf = app
        .consumption_history(&staff, ean(), date(2025, 1, 1), date(2025, 2, 1), Some(id("nu-yasmine")))
        .await
        .expect("on behalf");
    assert!(text(&on_behalf.pdf).contains("Rue de Fer 12"));
    // Before the customer's occupancy there is nothing to send, and no oracle either.
    match app.consumption_history(&customer, ean(), date(2023, 1, 1), date(2023, 6, 1), None).await {
        Err(AppError::NotVisible) => {}
        other => panic!("{:?}", other.map(|i| i.label)),
    }
    // Someone else's point: not visible.
    let other = actor("nu-other", Role::Customer);
    assert!(matches!(
        app.consumption_history(&other, ean(), date(2025, 1, 1), date(2025, 2, 1), None).await,
        Err(AppError::NotVisible)
    ));
}
each_backend!(document, the_history_is_clipped_addressed_labelled_and_journaled);
