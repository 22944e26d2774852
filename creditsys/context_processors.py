from .policy import get_profile


def site(request):
    profile = get_profile()
    return {"site_title": profile.site_title, "policy_profile": profile}
