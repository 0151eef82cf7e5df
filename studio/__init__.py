"""``seqgen studio``: a local web studio over the library (the top layer: it may import every stage).

``app`` builds the Starlette application, ``security`` its token, Host/Origin and path checks,
``jobs`` the worker that runs long work off the event loop, ``events`` the server-sent events that
follow a job to the page, ``loader`` the background TensorFlow start and the cache of loaded runs,
``params`` the checks of request values, one ``*_api`` module per page, and ``cli`` the thin command.
The page itself (``static/``) is plain HTML, CSS and JavaScript served from the package: no CDN.
"""
