"""How the app is served: gunicorn's worker, adapted to clients that send slowly."""
