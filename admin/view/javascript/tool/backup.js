// tool/backup page: chains each job's `next` requests and drives the progress bar, as OpenCart's page does; text goes in with textContent.
'use strict';
(function () {
  const app = document.getElementById('backup-app');
  if (!app) return;
  const urls = app.dataset;
  const bar = document.getElementById('progress-bar');
  const progress = document.getElementById('progress');
  const progressText = document.getElementById('progress-text');
  const history = document.getElementById('history');
  const alertBox = document.getElementById('alert');
  const backupButton = document.getElementById('button-backup');
  const selectAll = document.getElementById('input-backup-all');
  const uploadInput = document.getElementById('input-upload');
  const uploadButton = document.getElementById('button-upload');
  const undoBox = document.getElementById('undo');
  const undoButton = document.getElementById('button-undo');
  let busy = false;
  const MAX_ALERTS = 3;
  const SUCCESS_ALERT_MS = 8000;

  // File names are left-to-right runs inside texts that may be right to left (Arabic): each goes in a <bdi> of its own,
  // or the bidi algorithm shows "2024-01-31 10.00.00.sql" as "sql.10.00.00 2024-01-31". Known names are those of the
  // history and of the file being uploaded; names of new backups are recognised by their pattern.
  const BACKUP_NAME = '\\d{4}-\\d{2}-\\d{2} \\d{2}\\.\\d{2}\\.\\d{2}(?: \\(\\d+\\))?\\.sql';
  let uploadingName = '';

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }

  function isolatedName(name) {
    const bdi = document.createElement('bdi');
    bdi.textContent = name;
    return bdi;
  }

  function setText(element, text) {
    const names = Array.from(document.querySelectorAll('#history [data-filename]'))
      .map(function (item) { return item.dataset.filename; })
      .concat([uploadingName])
      .filter(Boolean)
      .sort(function (a, b) { return b.length - a.length; })
      .map(escapeRegExp);
    // With one capturing group, split() puts the names at the odd indexes.
    const parts = String(text).split(new RegExp('(' + names.concat([BACKUP_NAME]).join('|') + ')'));
    element.replaceChildren();
    parts.forEach(function (part, index) {
      if (part) element.append(index % 2 === 1 ? isolatedName(part) : document.createTextNode(part));
    });
  }

  function tableBoxes() {
    return Array.from(document.querySelectorAll("input[name='backup[]']"));
  }

  function showAlert(kind, message) {
    const toast = document.createElement('div');
    toast.className = 'alert alert-dismissible alert-' + (kind === 'success' ? 'success' : 'danger');
    toast.setAttribute('role', kind === 'success' ? 'status' : 'alert');
    const icon = document.createElement('i');
    icon.className = 'fa-solid ' + (kind === 'success' ? 'fa-circle-check' : 'fa-circle-exclamation');
    const text = document.createElement('span');
    text.className = 'ms-1';
    setText(text, message);
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn-close';
    close.setAttribute('data-bs-dismiss', 'alert');
    close.setAttribute('aria-label', urls.buttonClose);
    toast.append(icon, text, close);
    alertBox.prepend(toast);
    // The alerts float over the page: left alone they pile up over the history's buttons. Keep the newest few, and let
    // successes go after a while as OpenCart's do (their text stays under the progress bar); errors stay until closed.
    Array.from(alertBox.children).slice(MAX_ALERTS).forEach(function (old) { old.remove(); });
    if (kind === 'success') {
      window.setTimeout(function () { toast.remove(); }, SUCCESS_ALERT_MS);
    }
  }

  function setProgress(percent, text, state) {
    const value = Math.max(0, Math.min(100, Math.round(Number(percent) || 0)));
    bar.style.width = value + '%';
    progress.setAttribute('aria-valuenow', String(value));
    bar.classList.toggle('bg-success', state === 'success');
    bar.classList.toggle('bg-danger', state === 'error');
    if (text !== undefined) {
      setText(progressText, text);
      progressText.className = 'mt-2' + (state === 'success' ? ' text-success' : state === 'error' ? ' text-danger' : '');
    }
  }

  // Leaving the page stops a job's chain of requests: the browser asks first.
  function warnBeforeLeaving(event) {
    event.preventDefault();
    event.returnValue = '';
  }

  function setBusy(value) {
    busy = value;
    if (value) window.addEventListener('beforeunload', warnBeforeLeaving);
    else window.removeEventListener('beforeunload', warnBeforeLeaving);
    // The table choice too: a backup reads the tables ticked when it started.
    document.querySelectorAll('#backup-app button, #backup-tables input, #input-backup-all, #history button, #history a.download').forEach(function (element) {
      if (element.classList.contains('btn-close')) return;
      if (element.tagName === 'A') element.classList.toggle('disabled', value);
      else element.disabled = value;
    });
    if (!value) updateBackupButton();
  }

  function updateBackupButton() {
    const boxes = tableBoxes();
    const checked = boxes.filter(function (box) { return box.checked; }).length;
    backupButton.disabled = busy || checked === 0;
    selectAll.checked = checked > 0 && checked === boxes.length;
    selectAll.indeterminate = checked > 0 && checked < boxes.length;
  }

  async function postForm(url, body) {
    const response = await fetch(url, { method: 'POST', body: body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
    try {
      return await response.json();
    } catch (error) {
      return { error: urls.errorException };
    }
  }

  // Follows `next` until the job answers `success` or `error`; each reply moves the bar.
  async function runJob(url, makeBody) {
    setBusy(true);
    setProgress(0, urls.textLoading);
    try {
      let next = url;
      while (next) {
        let reply;
        try {
          reply = await postForm(next, makeBody());
        } catch (error) {
          reply = { error: urls.errorException };
        }
        if (reply.error) {
          setProgress(100, reply.error, 'error');
          showAlert('error', reply.error);
          return null;
        }
        if (reply.success) {
          setProgress(100, reply.success, 'success');
          showAlert('success', reply.success);
          return reply;
        }
        setProgress(reply.progress, reply.text);
        next = reply.next;
      }
      return null;
    } finally {
      setBusy(false);
      refreshHistory();
      keepFocus();
    }
  }

  // aria-busy tells assistive technology (and the browser tests) that the list is being replaced.
  async function refreshHistory() {
    history.setAttribute('aria-busy', 'true');
    try {
      // A signed-out session gets a redirect to the login page, which is no part of this list: it is not followed.
      const response = await fetch(urls.history, { credentials: 'same-origin', redirect: 'manual' });
      if (response.ok) {
        const template = document.createElement('template');
        // The fragment is our own server-rendered, autoescaped view.
        template.innerHTML = await response.text();
        disposeTooltips(history);
        history.replaceChildren(template.content);
        initTooltips(history);
        if (busy) setBusy(true);
      }
    } catch (error) {
      showAlert('error', urls.errorException);
    } finally {
      history.removeAttribute('aria-busy');
    }
  }

  // Without the fade, a tooltip never has a transition pending, so it can be disposed of at any moment (Bootstrap throws
  // from a fade's callback that runs after dispose()).
  function initTooltips(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (element) {
      window.bootstrap.Tooltip.getOrCreateInstance(element, { animation: false });
    });
  }

  // A tooltip shown for a button that is then replaced would stay on the page for good: dispose of them first.
  function disposeTooltips(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (element) {
      const tooltip = window.bootstrap.Tooltip.getInstance(element);
      if (tooltip) tooltip.dispose();
    });
  }

  selectAll.addEventListener('change', function () {
    tableBoxes().forEach(function (box) { box.checked = selectAll.checked; });
    updateBackupButton();
  });
  document.getElementById('backup-tables').addEventListener('change', updateBackupButton);

  backupButton.addEventListener('click', function () {
    // Read before the job starts: the boxes are disabled while it runs, and a disabled box is not in a form's data.
    const chosen = new URLSearchParams(new FormData(document.getElementById('form-backup')));
    runJob(urls.backup, function () { return new URLSearchParams(chosen); });
  });

  // Focus: a dialog gives it back to the button that opened it; when that button is gone (its file deleted) or disabled
  // (a job runs), it goes to the progress text, which says what happened. Never left on <body>.
  let opener = null;

  function focusable(element) {
    return Boolean(element) && element !== document.body && element.isConnected && !element.disabled && element.getClientRects().length > 0;
  }

  function keepFocus() {
    if (focusable(document.activeElement)) return;
    if (focusable(opener)) opener.focus();
    else progressText.focus();
  }

  function openModal(element, button) {
    opener = button;
    window.bootstrap.Modal.getOrCreateInstance(element).show();
  }

  // A dialog still opening ignores hide(): it is closed as soon as it has opened.
  function closeModal(element) {
    element.dataset.closeWhenShown = '1';
    window.bootstrap.Modal.getOrCreateInstance(element).hide();
  }

  document.querySelectorAll('.modal').forEach(function (element) {
    element.addEventListener('show.bs.modal', function () { delete element.dataset.closeWhenShown; });
    element.addEventListener('shown.bs.modal', function () {
      if (element.dataset.closeWhenShown) window.bootstrap.Modal.getOrCreateInstance(element).hide();
    });
    element.addEventListener('hidden.bs.modal', function () {
      delete element.dataset.closeWhenShown;
      keepFocus();
    });
  });

  // Restore: confirm in a dialog that lists the file's tables, each ticked; a partial choice goes as restore[].
  const restoreModal = document.getElementById('modal-restore');
  const deleteModal = document.getElementById('modal-delete');
  const restoreTablesBox = document.getElementById('restore-tables').closest('fieldset');
  const restoreConfirmButton = document.getElementById('button-restore-confirm');
  let pendingRestore = null;
  let pendingDelete = null;

  history.addEventListener('click', async function (event) {
    const restoreButton = event.target.closest('button.restore');
    const deleteButton = event.target.closest('button.delete');
    if (restoreButton && !busy) {
      pendingRestore = restoreButton.dataset.restore;
      setText(document.getElementById('restore-confirm'), restoreButton.dataset.confirm);
      const list = document.getElementById('restore-tables');
      list.replaceChildren();
      let reply;
      try {
        const response = await fetch(restoreButton.dataset.inspect, { credentials: 'same-origin' });
        reply = await response.json();
      } catch (error) {
        reply = { error: urls.errorException };
      }
      if (reply.error) {
        showAlert('error', reply.error);
        return;
      }
      // A file whose statements name no table of this shop (or only forbidden ones) lists nothing: the restore then
      // sends the whole file, so that the server's check says in words what is wrong with it.
      restoreTablesBox.classList.toggle('d-none', reply.tables.length === 0);
      reply.tables.forEach(function (table, index) {
        const row = document.createElement('div');
        row.className = 'form-check';
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.className = 'form-check-input';
        box.name = 'restore[]';
        box.value = table.name;
        box.checked = true;
        // A list cut short by the time limit cannot offer a choice: the whole file is restored.
        box.disabled = reply.complete === false;
        box.id = 'input-restore-' + index;
        const label = document.createElement('label');
        label.className = 'form-check-label';
        label.htmlFor = box.id;
        label.append(isolatedName(table.name));
        if (table.text) label.append(' (' + table.text + ')');
        row.append(box, label);
        list.append(row);
      });
      if (reply.text_partial) {
        const note = document.createElement('p');
        note.className = 'text-muted small mb-0';
        note.textContent = reply.text_partial;
        list.append(note);
      }
      updateRestoreConfirm();
      openModal(restoreModal, restoreButton);
    }
    if (deleteButton && !busy) {
      pendingDelete = deleteButton.dataset.delete;
      setText(document.getElementById('delete-confirm'), deleteButton.dataset.confirm);
      openModal(deleteModal, deleteButton);
    }
  });

  function restoreBoxes() {
    return Array.from(document.querySelectorAll("#restore-tables input[name='restore[]']"));
  }

  // With tables listed, at least one must stay ticked; the button says so by being disabled instead of doing nothing.
  // The "select all" box shows all, none or some (indeterminate), as on the Backup tab.
  const restoreAll = document.getElementById('input-restore-all');

  function updateRestoreConfirm() {
    const boxes = restoreBoxes();
    const checked = boxes.filter(function (box) { return box.checked; }).length;
    restoreConfirmButton.disabled = boxes.length > 0 && checked === 0;
    restoreAll.checked = boxes.length > 0 && checked === boxes.length;
    restoreAll.indeterminate = checked > 0 && checked < boxes.length;
    restoreAll.disabled = boxes.some(function (box) { return box.disabled; });
  }

  restoreAll.addEventListener('change', function () {
    restoreBoxes().forEach(function (box) { box.checked = restoreAll.checked; });
    updateRestoreConfirm();
  });
  document.getElementById('restore-tables').addEventListener('change', updateRestoreConfirm);

  restoreConfirmButton.addEventListener('click', async function () {
    const boxes = restoreBoxes();
    const chosen = boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
    closeModal(restoreModal);
    if ((boxes.length > 0 && chosen.length === 0) || !pendingRestore) return;
    const partial = chosen.length < boxes.length && !boxes.some(function (box) { return box.disabled; });
    const reply = await runJob(pendingRestore, function () {
      const body = new URLSearchParams();
      if (partial) chosen.forEach(function (name) { body.append('restore[]', name); });
      return body;
    });
    showUndo(reply);
  });

  // A finished restore offers its undo, with the confirmation that names the tables it would put back.
  function showUndo(reply) {
    if (!reply || !reply.undo) return;
    setText(document.getElementById('undo-text'), reply.undo.text || reply.success);
    undoButton.dataset.confirm = reply.undo.confirm || '';
    undoBox.classList.remove('d-none');
  }

  document.getElementById('button-delete-confirm').addEventListener('click', async function () {
    closeModal(deleteModal);
    if (!pendingDelete) return;
    const url = pendingDelete;
    pendingDelete = null;
    setBusy(true);
    try {
      const reply = await postForm(url, new URLSearchParams());
      showAlert(reply.error ? 'error' : 'success', reply.error || reply.success);
    } catch (error) {
      showAlert('error', urls.errorException);
    } finally {
      setBusy(false);
      await refreshHistory();
      keepFocus();
    }
  });

  // A restore interrupted by a closed page or a server restart continues from its last committed step.
  const resumeButton = document.getElementById('button-resume');
  if (resumeButton) {
    resumeButton.addEventListener('click', async function () {
      document.getElementById('restore-interrupted').classList.add('d-none');
      const reply = await runJob(resumeButton.dataset.resume, function () { return new URLSearchParams(); });
      showUndo(reply);
    });
  }

  // Discarding drops what an interrupted restore loaded (never the live tables), after a confirmation; nothing is sent
  // when the dialog is dismissed.
  const discardButton = document.getElementById('button-discard');
  const discardModal = document.getElementById('modal-discard');
  if (discardButton) {
    discardButton.addEventListener('click', function () {
      if (busy) return;
      setText(document.getElementById('discard-confirm'), discardButton.dataset.confirm);
      openModal(discardModal, discardButton);
    });
  }

  document.getElementById('button-discard-confirm').addEventListener('click', async function () {
    closeModal(discardModal);
    setBusy(true);
    try {
      const reply = await postForm(urls.discard, new URLSearchParams());
      setProgress(reply.error ? 100 : 0, reply.error || reply.success, reply.error ? 'error' : 'success');
      showAlert(reply.error ? 'error' : 'success', reply.error || reply.success);
      if (!reply.error) document.getElementById('restore-interrupted').classList.add('d-none');
    } catch (error) {
      setProgress(100, urls.errorException, 'error');
      showAlert('error', urls.errorException);
    } finally {
      setBusy(false);
      keepFocus();
    }
  });

  // Undo throws away whatever was changed in the restored tables since the restore: it asks first, naming them.
  const undoModal = document.getElementById('modal-undo');
  undoButton.addEventListener('click', function () {
    if (busy) return;
    setText(document.getElementById('undo-confirm'), undoButton.dataset.confirm);
    openModal(undoModal, undoButton);
  });

  document.getElementById('button-undo-confirm').addEventListener('click', async function () {
    closeModal(undoModal);
    setBusy(true);
    try {
      const reply = await postForm(urls.undo, new URLSearchParams());
      // The bar's text still offers the undo of the restore: it now says what happened instead.
      setProgress(100, reply.error || reply.success, reply.error ? 'error' : 'success');
      showAlert(reply.error ? 'error' : 'success', reply.error || reply.success);
      if (!reply.error) undoBox.classList.add('d-none');
    } catch (error) {
      setProgress(100, urls.errorException, 'error');
      showAlert('error', urls.errorException);
    } finally {
      setBusy(false);
      keepFocus();
    }
  });

  uploadButton.addEventListener('click', function () {
    uploadInput.value = '';
    uploadInput.click();
  });

  // The size is checked here in bytes against the server's limit in bytes (OpenCart compared kilobytes with bytes).
  uploadInput.addEventListener('change', function () {
    const file = uploadInput.files && uploadInput.files[0];
    if (!file) return;
    if (file.size > Number(urls.uploadMax)) {
      showAlert('error', urls.errorUploadSize);
      return;
    }
    uploadingName = file.name;
    const data = new FormData();
    data.append('upload', file, file.name);
    const request = new XMLHttpRequest();
    setBusy(true);
    setProgress(0, urls.textUploading.replace('%s', '0'));
    request.upload.addEventListener('progress', function (event) {
      if (!event.lengthComputable) return;
      const percent = Math.floor((event.loaded / event.total) * 100);
      setProgress(percent, urls.textUploading.replace('%s', String(percent)));
    });
    request.addEventListener('loadend', function () {
      let reply;
      try {
        reply = JSON.parse(request.responseText);
      } catch (error) {
        reply = { error: urls.errorException };
      }
      if (reply.error) {
        setProgress(100, reply.error, 'error');
        showAlert('error', reply.error);
      } else {
        setProgress(100, reply.success, 'success');
        showAlert('success', reply.success);
      }
      setBusy(false);
      refreshHistory();
      keepFocus();
    });
    request.open('POST', urls.upload);
    request.setRequestHeader('Accept', 'application/json');
    request.send(data);
  });

  initTooltips(document);
  setText(document.getElementById('undo-text'), document.getElementById('undo-text').textContent);
  updateBackupButton();
})();
