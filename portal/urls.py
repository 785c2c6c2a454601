from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("suppliers/", views.supplier_list, name="supplier-list"),
    path("suppliers/<str:code>/", views.supplier_detail, name="supplier-detail"),
]
