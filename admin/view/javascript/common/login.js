// common/login: posts the form and follows the JSON `redirect`, or shows the `error`, as OpenCart 4's login page does.
'use strict';
(function () {
  const form = document.getElementById('form-login');
  const alertBox = document.getElementById('alert');
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    const button = document.getElementById('button-login');
    button.disabled = true;
    alertBox.replaceChildren();
    try {
      const response = await fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' });
      const reply = await response.json();
      if (reply.redirect) {
        window.location.assign(reply.redirect);
        return;
      }
      const message = document.createElement('div');
      message.className = 'alert alert-danger';
      message.textContent = reply.error || '';
      alertBox.append(message);
    } finally {
      button.disabled = false;
    }
  });
})();
