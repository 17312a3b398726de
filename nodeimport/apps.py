from django.apps import AppConfig


class NodeImportConfig(AppConfig):
    name = "nodeimport"
    verbose_name = "Import from the Node.js tutorial app"
