from django.shortcuts import render


def home(request):
    """Placeholder landing page of the public site until the publicity issue builds it."""
    return render(request, "publicity/home.html")
