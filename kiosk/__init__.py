"""The shopper's kiosk app (Kivy): screens, controllers without Kivy, camera sources."""
