import re
import pytest
from django.contrib.auth import get_user_model

@pytest.mark.django_db
def test_dump(client):
    u = get_user_model().objects.create_superuser(username="r@x.example", email="r@x.example", password="x")
    client.force_login(u)
    for lang in ("pl", "en"):
        r = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=lang); print(r.status_code, r.get("Location")); html = r.content.decode()
        names = re.findall(r'<(?:th scope="row"|caption)[^>]*>\s*<a[^>]*>([^<]+)</a>', html)
        print(lang, re.findall(r"<title>(.*?)</title>", html), re.findall(r'id="site-name"><a[^>]*>(.*?)</a>', html))
        print(names); open(f"/tmp/admin_{lang}.html","w").write(html)
