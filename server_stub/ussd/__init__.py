"""USSD for members with a basic phone: a gateway's callback (`POST /ussd/callback`), the menus in
the member's language held to 182 characters, and sessions that resume after a timeout. May import
loyalty, phones and the rooms below; nothing of play, admin or dashboard."""
