// start.mjs: loads app.mjs and shows on the page anything that stops it from starting: a file
// that is not there (404), an import the import map does not resolve, an error while starting.
// Without it, a failed import would leave the status on "Loading…" and say nothing.
const status = document.getElementById('status');

async function fail(e) {
    let text = `Could not start: ${e?.message ?? e}`;
    if (/resolve module specifier/i.test(text)) {
        text += ' (the import map in index.html was not applied: if you edited it, put its new sha256 in the page’s Content-Security-Policy)';
    } else if (/dynamically imported module/i.test(text)) {
        // The browser names only the module it was asked for; find the missing one.
        try {
            const url = import.meta.resolve('wasmrec/personal');
            const res = await fetch(url, { method: 'HEAD' });
            if (!res.ok) text += ` (${url} answers HTTP ${res.status}: is the package installed next to this page, in node_modules/wasmrec?)`;
        } catch { /* the message above is all there is */ }
    }
    status.textContent = text;
    status.dataset.state = 'error';
    console.error(e);
}

import('./app.mjs').then((app) => app.main()).catch(fail);
