"""Who sees which society's rows (SOC-2): one queryset method, ``visible_to(operator)``, used by every admin
list, form choice, autocomplete, API view and (later) support and simulator page.

The core knows no role names: it asks the operator's predicates (``sees_all_societies``) and its
``society_id``. A model says where its society is with ``society_lookup`` on its queryset.
"""

from __future__ import annotations

from django.db import models


class SocietyScopedQuerySet(models.QuerySet):
    #: path from this model to its society's primary key, without the trailing ``_id``
    society_lookup = "society"

    def visible_to(self, operator):
        """The rows ``operator`` may see: all for a platform superuser, their society's for an operator of a
        society, none for anyone else (an inactive or anonymous user, an operator without a society)."""
        if operator is None or not getattr(operator, "is_active", False):
            return self.none()
        if getattr(operator, "sees_all_societies", False):
            return self
        society_id = getattr(operator, "society_id", None)
        if society_id is None:
            return self.none()
        return self.filter(**{self.society_id_lookup(): society_id})

    def in_society(self, society):
        return self.filter(**{self.society_id_lookup(): society.pk})

    @classmethod
    def society_id_lookup(cls) -> str:
        return "pk" if cls.society_lookup == "" else f"{cls.society_lookup}_id"
