/** @type {import('tailwindcss').Config} */
// The invitee's pages (consent, result pages, decline) load static/invitee.css,
// built from the same source as app.css but only from the templates those
// pages render, so they load only the CSS they use (issue 12, item 5). A new
// template rendered on the invitee's pages belongs in this list.
const base = require("./tailwind.config.js");

module.exports = {
  ...base,
  content: [
    "./views/connect.templ",
    "./views/invitee.templ",
    "./views/invitee.go",
    "./views/public*.templ",
    "./views/consent*.templ",
    // orgMark (the organization's logo on the consent page) lives here.
    "./views/branding.templ",
  ],
};
