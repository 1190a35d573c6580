"""odoo-bin for make bench's server: ``python tools/bench/odoo_server.py ARGS`` (tools/ofn.sh).

With workers, the server starts its gevent process again from this file. gevent loads its own
monkey-patching plugin through pkg_resources, which (setuptools<75 in the venv) does not find
``zope.interface`` >= 7 under its normalised dist-info name (``zope_interface-*.dist-info``): the
gevent process would die at its start, and be started again every second, taking CPU from what
is measured. tools/pip-constraints.txt keeps zope.interface below 7 for that reason; a .venv
built before that pin still has a newer one, hence this guard: entry points are loaded without
checking their distribution's requirements."""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # pkg_resources is deprecated
    import pkg_resources

pkg_resources.EntryPoint.require = lambda self, *args, **kwargs: None

import odoo

odoo.cli.main()
