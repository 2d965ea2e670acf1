"""Pages of documents: "Payments → History" (names start with "payments_", which base.html uses to
mark the current menu entry) and the finance pages for vendor staff."""

from django.urls import path

from . import views_documents as views

urlpatterns = [
    path("account/history/", views.history_page, name="payments_history"),
    path("account/documents/<int:document_id>/pdf/", views.history_document_pdf,
         name="payments_document_pdf"),
    path("account/documents/<int:document_id>/ksef.xml", views.history_document_xml,
         name="payments_document_xml"),
    path("account/documents/<int:document_id>/note/", views.history_document_note,
         name="payments_document_note"),
    path("finance/documents/", views.finance_documents, name="finance_documents"),
    path("finance/documents/<int:document_id>/pdf/", views.finance_document_pdf,
         name="finance_document_pdf"),
    path("finance/documents/<int:document_id>/ksef.xml", views.finance_document_xml,
         name="finance_document_xml"),
    path("finance/documents/<int:document_id>/ksef/resend/", views.finance_document_ksef_resend,
         name="finance_document_ksef_resend"),
    path("finance/documents/documents.zip", views.finance_documents_zip,
         name="finance_documents_zip"),
    path("finance/documents/documents.csv", views.finance_documents_csv,
         name="finance_documents_csv"),
    path("finance/documents/documents.xlsx", views.finance_documents_xlsx,
         name="finance_documents_xlsx"),
]
