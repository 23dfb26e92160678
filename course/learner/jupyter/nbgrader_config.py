"""nbgrader on a learner's computer: the settings of ``clearlib course validate``, for nbgrader.

This folder (``course/learner/jupyter/``) is a Jupyter configuration folder for learners. Copy
its files into the ``etc/jupyter`` folder of the course's environment, once, after setting the
environment up (``jupyter --paths`` lists the configuration folders)::

    cp -r course/learner/jupyter/. "$(python -c 'import sys; print(sys.prefix)')/etc/jupyter/"

Then, from any folder:

- ``nbgrader validate`` and JupyterLab's Validate button find this file, so nbgrader no longer
  warns "No nbgrader_config.py file found", and they run each cell with the same time limit as
  ``clearlib course validate`` (which needs none of this: it sets the same values in code,
  in ``clearlib/course/_validate.py``; a test checks that the two agree).
- ``jupyter_server_config.json`` turns nbgrader's faculty server extensions off (formgrader,
  course list, and the assignment list, which the course does not use: assignments come and go
  through Blackboard; a hub that uses nbgrader's exchange turns it back on). nbgrader's own
  Validate extension is replaced by ``clearlib.course._lab``, which answers JupyterLab's
  Validate button with ``clearlib course validate``'s report: each question to fix with its
  check's whole message, and, on a lesson, that there is nothing to validate.
- ``labconfig/page_config.json`` hides the same tools in JupyterLab (Formgrader, Create
  Assignment, Course List, Assignment List, and the Nbgrader menu that lists them).

Faculty keep ``course/nbgrader_config.py`` (the course, its folders, grading and feedback) and
must not install this folder in the environment they grade in.
"""

c = get_config()  # noqa: F821 (nbgrader's config loader provides get_config)

# Each cell may run for 60 seconds, as in grading; a cell that takes longer is interrupted and
# reported, and the rest of the notebook still runs.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# Kernels log only errors: not ipykernel's "Kernel is running over TCP without encryption".
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
