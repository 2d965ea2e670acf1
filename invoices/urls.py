from .urls_documents import urlpatterns as document_urls
from .urls_profile import urlpatterns as profile_urls

urlpatterns = profile_urls + document_urls
