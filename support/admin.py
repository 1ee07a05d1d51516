"""The support console's screens are plain views (support/views.py, support/admin_urls.py); loaded with the admin
site, this joins them to its first page, side menu, member and sent-mail pages."""

from . import links

links.register()
