/* The request reader's two native steps (ADR 0007), each with a pure Python equivalent that runs
 * where this module is not built.
 *
 * fields_of(names, values, unset) -> dict or None
 *
 * The dict of ``names`` to ``values`` (two tuples of one length), made at its final size, or None
 * if any value is ``unset`` (compared by identity).
 *
 * read_pupils(buffer, table, cls) -> cls instance or None
 *
 * ``buffer`` is the array's JSON text (the msgspec.Raw the request reader keeps of it); ``table``
 * a list of AGES * 9 shared Pupil models, indexed by (age - 2) * 9 + vulnerable * 3 + has_ehcp,
 * each flag 0 (left out), 1 (false) or 2 (true); ``cls`` the list subclass to return, whose
 * ``key`` slot is set to the pupils' summary (youngest age, count, any vulnerable, any EHCP).
 *
 * Only a strict subset of JSON is read: objects whose keys are exactly "age", "vulnerable" and
 * "has_ehcp" (no escapes, none twice, "age" given), an age of one or two digits from 2 to 25
 * (no sign, fraction, exponent or leading zero), true or false for the flags, JSON whitespace
 * anywhere it may go, and nothing after the array. Anything else, an empty array included,
 * gives None, and the caller reads the array as before (msgspec, then pydantic for its errors):
 * this function never refuses or accepts what the model would not.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define AGES 24 /* 2 to 25 */
#define SLOTS (AGES * 9)

static PyObject *key_name;

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static inline int starts(const char *p, const char *end, const char *text, Py_ssize_t n)
{
    return end - p >= n && memcmp(p, text, (size_t)n) == 0;
}

/* After a value inside an array or object closed by ``closer``: 1 if another item follows (the
 * comma and the whitespace after it skipped), 0 if the closer does (skipped), -1 otherwise. */
static inline int after_value(const char **at, const char *end, char closer)
{
    const char *p = skip_ws(*at, end);
    if (p == end)
        return -1;
    if (*p == ',') {
        *at = skip_ws(p + 1, end);
        return 1;
    }
    if (*p == closer) {
        *at = p + 1;
        return 0;
    }
    return -1;
}

static PyObject *fields_of(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyTuple_CheckExact(args[0]) || !PyTuple_CheckExact(args[1]) ||
        PyTuple_GET_SIZE(args[0]) != PyTuple_GET_SIZE(args[1])) {
        PyErr_SetString(PyExc_TypeError, "fields_of(names, values, unset): two tuples of one length");
        return NULL;
    }
    PyObject *names = args[0], *values = args[1], *unset = args[2];
    Py_ssize_t n = PyTuple_GET_SIZE(values);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyTuple_GET_ITEM(values, i) == unset)
            Py_RETURN_NONE;
    }
    PyObject *out = _PyDict_NewPresized(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyDict_SetItem(out, PyTuple_GET_ITEM(names, i), PyTuple_GET_ITEM(values, i)) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyObject *read_pupils(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "read_pupils(buffer, table, cls) takes three arguments");
        return NULL;
    }
    PyObject *table = args[1];
    PyObject *cls = args[2];
    if (!PyList_CheckExact(table) || PyList_GET_SIZE(table) != SLOTS) {
        PyErr_SetString(PyExc_TypeError, "table must be a list of 216 models");
        return NULL;
    }
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PyList_Type)) {
        PyErr_SetString(PyExc_TypeError, "cls must be a subclass of list");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const char *p = (const char *)view.buf;
    const char *end = p + view.len;
    PyObject *out = NULL;
    PyObject *key = NULL;
    long youngest = 99;
    int any_vulnerable = 0, any_ehcp = 0;

    p = skip_ws(p, end);
    if (p == end || *p != '[')
        goto unsure;
    p = skip_ws(p + 1, end);
    if (p == end || *p == ']')
        goto unsure; /* (an empty array: the model's own error) */
    out = PyObject_CallNoArgs(cls);
    if (out == NULL)
        goto fail;
    for (;;) {
        if (p == end || *p != '{')
            goto unsure;
        p = skip_ws(p + 1, end);
        int age = -1, vulnerable = 0, ehcp = 0, seen = 0;
        for (;;) {
            int which;
            if (p == end || *p != '"')
                goto unsure;
            p++;
            if (starts(p, end, "age\"", 4)) {
                which = 1;
                p += 4;
            } else if (starts(p, end, "vulnerable\"", 11)) {
                which = 2;
                p += 11;
            } else if (starts(p, end, "has_ehcp\"", 9)) {
                which = 4;
                p += 9;
            } else {
                goto unsure;
            }
            if (seen & which)
                goto unsure; /* (a key given twice: the model takes the last) */
            seen |= which;
            p = skip_ws(p, end);
            if (p == end || *p != ':')
                goto unsure;
            p = skip_ws(p + 1, end);
            if (which == 1) {
                if (p == end || *p < '1' || *p > '9')
                    goto unsure;
                int n = *p++ - '0';
                if (p < end && *p >= '0' && *p <= '9')
                    n = n * 10 + (*p++ - '0');
                if (p < end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E'))
                    goto unsure;
                if (n < 2 || n > 25)
                    goto unsure;
                age = n;
            } else {
                int value;
                if (starts(p, end, "true", 4)) {
                    value = 2;
                    p += 4;
                } else if (starts(p, end, "false", 5)) {
                    value = 1;
                    p += 5;
                } else {
                    goto unsure;
                }
                if (which == 2)
                    vulnerable = value;
                else
                    ehcp = value;
            }
            int more = after_value(&p, end, '}');
            if (more < 0)
                goto unsure;
            if (!more)
                break;
        }
        if (age < 0)
            goto unsure;
        PyObject *model = PyList_GET_ITEM(table, (age - 2) * 9 + vulnerable * 3 + ehcp);
        if (model == Py_None)
            goto unsure;
        if (PyList_Append(out, model) < 0)
            goto fail;
        if (age < youngest)
            youngest = age;
        any_vulnerable |= vulnerable == 2;
        any_ehcp |= ehcp == 2;
        int more = after_value(&p, end, ']');
        if (more < 0)
            goto unsure;
        if (!more)
            break;
    }
    if (skip_ws(p, end) != end)
        goto unsure;
    key = Py_BuildValue(
        "(lnOO)",
        youngest,
        PyList_GET_SIZE(out),
        any_vulnerable ? Py_True : Py_False,
        any_ehcp ? Py_True : Py_False);
    if (key == NULL || PyObject_SetAttr(out, key_name, key) < 0)
        goto fail;
    Py_DECREF(key);
    PyBuffer_Release(&view);
    return out;

unsure:
    PyBuffer_Release(&view);
    Py_XDECREF(out);
    Py_RETURN_NONE;

fail:
    PyBuffer_Release(&view);
    Py_XDECREF(out);
    Py_XDECREF(key);
    return NULL;
}

static PyMethodDef methods[] = {
    {"fields_of", (PyCFunction)(void (*)(void))fields_of, METH_FASTCALL,
     "fields_of(names, values, unset): dict(zip(names, values)) made at its size, or None if a "
     "value is unset."},
    {"read_pupils", (PyCFunction)(void (*)(void))read_pupils, METH_FASTCALL,
     "read_pupils(buffer, table, cls): the pupils of a JSON array as a cls list of shared models with "
     "their summary in its key slot, or None when the array is not in the simple form."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "chaperone.rules._native",
    "The request reader's native steps (ADR 0007).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void)
{
    key_name = PyUnicode_InternFromString("key");
    if (key_name == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "SLOTS", SLOTS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
