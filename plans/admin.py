from django.contrib import admin

from .models import Package


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "position"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
