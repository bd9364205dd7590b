"""The ``pmhub`` command line, the top of the layers: it calls hub/ (settings, service, web app), flows/ (Prefect),
sync/, reports/ and the sandbox; nothing imports it.

:mod:`cli.main` assembles the typer app from the command groups (``*_commands`` modules); :mod:`cli.context` holds
what every command shares (the consoles, the configuration, the store), :mod:`cli.logs` where pmhub's logs go.

Commands import what they run inside their bodies: Prefect alone takes about two seconds to import, which
``pmhub --help`` and ``pmhub check`` should not pay.
"""
