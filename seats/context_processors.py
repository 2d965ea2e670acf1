def membership(request):
    member = getattr(request, "member", None)
    return {"member": member, "current_account": member.account if member else None}
