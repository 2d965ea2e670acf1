from .api_documents import urlpatterns as document_urls
from .api_profile import urlpatterns as profile_urls

urlpatterns = profile_urls + document_urls
