// A hand-written admin page in the shape of OpenCart 4.0.2's views, for tests of the module inside the shop's chrome.

/** A page in the shape OpenCart 4.0.2's admin views have: header (with #alert and the language switch), menu, content, footer. */
export function shopPage(options: { lang?: string; title?: string } = {}): string {
  return `<!DOCTYPE html>
<html dir="ltr" lang="${options.lang ?? 'en'}">
<head>
  <title>${options.title ?? 'Page Not Found!'}</title>
  <base href="http://shop.test/admin/"/>
  <link href="view/stylesheet/stylesheet.css" rel="stylesheet" type="text/css"/>
</head>
<body>
<div id="container">
  <div id="alert" class="toast-container position-fixed top-0 end-0 p-3"></div>
  <header id="header"><a href="x" class="navbar-brand">Shop</a>
  <input type="hidden" name="redirect" value="http://shop.test/admin/index.php?route=error/not_found&amp;user_token=T" id="input-redirect"/>
  </header>
<nav id="column-left"><ul id="menu"><li id="menu-dashboard">Dashboard</li></ul></nav>
<div id="content">
  <div class="page-header"><h1>Page Not Found!</h1></div>
  <div class="container-fluid"><div class="card"><div class="card-body">Not here</div></div></div>
</div>
<footer id="footer">OpenCart &copy; Version 4.0.2.3</footer></div>
<script src="view/javascript/bootstrap/js/bootstrap.bundle.min.js" type="text/javascript"></script>
</body></html>`;
}
