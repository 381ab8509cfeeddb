/** @type {import('tailwindcss').Config} */
const defaultTheme = require("tailwindcss/defaultTheme");

module.exports = {
  content: ["./views/**/*.templ", "./views/**/*.go", "./app/**/*.go", "./static/js/**/*.js"],
  theme: {
    extend: {
      colors: {
        // Indigo-like brand palette.
        brand: {
          50: "#eef2ff",
          100: "#e0e7ff",
          200: "#c7d2fe",
          300: "#a5b4fc",
          400: "#818cf8",
          500: "#6366f1",
          600: "#4f46e5",
          700: "#4338ca",
          800: "#3730a3",
          900: "#312e81",
          950: "#1e1b4b",
        },
      },
      fontFamily: {
        // System UI stack only: no web font downloads.
        sans: [
          "Inter",
          "system-ui",
          "-apple-system",
          '"Segoe UI"',
          "Roboto",
          "sans-serif",
        ],
        mono: defaultTheme.fontFamily.mono,
      },
    },
  },
  plugins: [require("@tailwindcss/forms")],
};
