// models.mjs: panel 9. Every model the page holds, with a download button (model.save(): the
// safetensors bytes, saved through a Blob URL); and loading a model file back (engine.loadModel),
// saying how many of the current data's items it knows (none: a model of another catalogue).
import { state, on, addModel, newId, knownItems } from './state.mjs';
import { $, el, fmtBytes, download, modelColour, modelLabel, errorText } from './ui.mjs';

const ui = { list: $('model-list'), file: $('model-file'), note: $('model-file-note') };

function render() {
    if (!state.models.length) {
        ui.list.replaceChildren(el('li', { class: 'hint empty' }, 'No model yet.'));
        return;
    }
    const dataLabel = (m) => (m.origin === 'file' ? `loaded from ${m.source}`
        : m.dataKey === 'demo' ? 'demo store' : m.dataKey.replace(/^file:([^:]*):.*$/, '$1'));
    ui.list.replaceChildren(...state.models.map((m) => el('li', { class: 'model-item', dataset: { model: m.name, origin: m.origin } },
        el('span', { class: 'dot', style: { '--c': modelColour(m.name) }, 'aria-hidden': 'true' }),
        el('span', { class: 'model-name' }, m.label,
            el('span', { class: 'hint' }, ` · ${m.origin === 'pretrained' ? 'pretrained' : m.origin === 'trained' ? 'trained here' : 'file'} · ${dataLabel(m)} · ${m.model.items.toLocaleString('en')} items`)),
        el('button', { type: 'button', class: 'small', dataset: { download: String(m.id) },
            onclick: () => download(`wasmrec-${m.name}.safetensors`, m.model.save()) }, `Download (${fmtBytes(m.size)})`))));
}

async function loadFile(file) {
    ui.note.classList.remove('error-text', 'warn');
    try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const model = state.engine.loadModel(bytes, { source: file.name });
        addModel({ id: newId(), name: model.name, label: modelLabel(model.name, model.params), origin: 'file', source: file.name,
            dataKey: null, model, curve: [], size: bytes.length });
        const text = `Loaded ${file.name}: ${modelLabel(model.name)} over ${model.items.toLocaleString('en')} items. It is in the playground now.`;
        const known = knownItems(model);
        const items = state.data?.byId.size ?? 0;
        if (known === null || !items) ui.note.textContent = text;
        else if (known === 0) {
            ui.note.textContent = `${text} Warning: this model knows 0 of the ${items.toLocaleString('en')} items of this data: ` +
                'it was trained on another catalogue, so it can only suggest its own items.';
            ui.note.classList.add('warn');
        } else {
            ui.note.textContent = `${text} It knows ${known.toLocaleString('en')} of the ${items.toLocaleString('en')} items of this data.`;
        }
    } catch (e) {
        ui.note.textContent = `Could not load ${file.name}: ${errorText(e)}`;
        ui.note.classList.add('error-text');
    }
}

export function initModels() {
    ui.file.addEventListener('change', async () => {
        if (ui.file.files[0]) await loadFile(ui.file.files[0]);
        ui.file.value = '';
    });
    on('models', render);
    render();
}
