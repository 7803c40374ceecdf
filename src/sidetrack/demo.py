"""The demo club: deterministic members, catalog, club weeks and two years of plays, loaded once.

Everything is written through the domain services, as the bot, the API and the importers
would: members by their Discord accounts, the catalog, each week's whole lifecycle (the
poll's winner is the service's tally) and the plays by batch ingest, which keeps the
listening rollups. Only what no service sets is set here on the rows the services return:
the members' handles, time zones and privacy, their Discord usernames, and the historical
timestamps of the club's rows (a nomination's time breaks a poll's last tie).
"""

import bisect
import itertools
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sidetrack.catalog.models import Album
from sidetrack.catalog.normalize import tag_slug
from sidetrack.catalog.resolve import TrackRef, resolve_tracks
from sidetrack.catalog.service import find_or_create_album, find_or_create_genre_tag
from sidetrack.club.models import Nomination, Week, WeekPhase
from sidetrack.club.scoring import Candidate, Tally, TieBreak, tally_poll
from sidetrack.club.service import (
    AlbumRef,
    cast_vote,
    close_nominations,
    close_poll,
    close_week,
    create_week,
    open_ratings,
    submit_nomination,
    submit_rating,
    update_week,
)
from sidetrack.core.errors import Conflict
from sidetrack.listening.records import ListenRecord, ListenSource
from sidetrack.listening.service import ingest_listens, tolerance
from sidetrack.users.models import LinkedAccount, ProviderType, User
from sidetrack.users.service import find_or_create_discord_member

# ---------------------------------------------------------------------------------------------
# Data tables
# ---------------------------------------------------------------------------------------------

SEED = "sidetrack-demo-v1"
# The demo's made-up ids (Spotify track links, voters in the planned polls) are uuid5s under
# this namespace; the rows themselves get their ids from the services.
NAMESPACE = uuid.UUID("5f0c2a86-3d4e-5b8e-9c61-0d9a7e4b2c13")

PAST_WEEKS = 10
# Nominations per past week; the current week opens with CURRENT_NOMINATIONS already in.
PAST_WEEK_SIZES = (5, 4, 6, 5, 4, 5, 6, 4, 5, 5)
CURRENT_NOMINATIONS = 2
LISTEN_COUNT = 50_000
LISTEN_DAYS = 730
INGEST_BATCH = 10_000  # plays per ingest_listens call, as an importer sends them

# Weeks whose poll must end in a tie, so the archive shows each tie-break at work (what the
# tally reports as its tie_break); every other poll is won outright on points.
TIE_BREAK_WEEKS: dict[int, TieBreak] = {3: "first_place_votes", 8: "earliest_nomination"}


# Table rows compare by identity: each is one entry of a table here, and hashing them is on
# the hot path of planning 50,000 plays.
@dataclass(frozen=True, eq=False)
class DemoMember:
    display_name: str
    handle: str
    timezone: str
    discord_username: str
    # Genre tags they lean towards, when nominating, voting, rating and listening.
    tastes: tuple[str, ...]
    # Relative share of the plays: a few members log far more than the rest.
    listening_share: float
    # Trackers in the order used over the two years (a member may have switched).
    sources: tuple[ListenSource, ...]
    listening_private: bool = False


SPOTIFY, LASTFM, LISTENBRAINZ = ListenSource.SPOTIFY, ListenSource.LASTFM, ListenSource.LISTENBRAINZ

MEMBERS = (
    DemoMember(
        "Maya Okafor",
        "maya",
        "Europe/London",
        "mayaokafor",
        ("Post-Punk", "Indie Rock", "Trip Hop", "Dream Pop", "Electronic"),
        2.6,
        (SPOTIFY,),
    ),
    DemoMember(
        "Jonas Lindqvist",
        "jonas",
        "Europe/Stockholm",
        "jonas.lq",
        ("Electronic", "Synth-Pop", "Ambient", "IDM", "Krautrock"),
        2.1,
        (LASTFM, LISTENBRAINZ),
    ),
    DemoMember(
        "Camila Ríos",
        "camila",
        "America/Mexico_City",
        "camirios",
        ("Pop", "Art Pop", "Flamenco", "Rock en Español", "R&B"),
        0.7,
        (SPOTIFY,),
    ),
    DemoMember(
        "Kenji Watanabe",
        "kenji",
        "Asia/Tokyo",
        "kenji_w",
        ("Jazz", "Ambient", "Synth-Pop", "Art Rock", "Post-Rock"),
        1.1,
        (LISTENBRAINZ,),
    ),
    DemoMember(
        "Priya Raman",
        "priya",
        "Asia/Kolkata",
        "priyaraman",
        ("Hip-Hop", "R&B", "Neo-Soul", "Soul"),
        0.9,
        (SPOTIFY,),
    ),
    DemoMember(
        "Théo Laurent",
        "theo",
        "Europe/Paris",
        "theo.lrnt",
        ("Chanson", "House", "Electronic", "Jazz", "Downtempo"),
        1.0,
        (SPOTIFY,),
    ),
    DemoMember(
        "Sam Whitfield",
        "sam",
        "America/New_York",
        "samwhit",
        ("Hip-Hop", "Soul", "Funk", "Jazz Funk", "Jazz"),
        1.4,
        (LASTFM,),
    ),
    DemoMember(
        "Aroha Ngata",
        "aroha",
        "Pacific/Auckland",
        "aroha.n",
        ("Indie Folk", "Singer-Songwriter", "Folk", "Dream Pop", "Pop"),
        0.4,
        (SPOTIFY,),
        listening_private=True,
    ),
    DemoMember(
        "Lena Vogel",
        "lena",
        "Europe/Berlin",
        "lenavogel",
        ("Krautrock", "Heavy Metal", "Thrash Metal", "Post-Punk", "Grunge"),
        1.6,
        (LASTFM,),
    ),
    DemoMember(
        "Diego Fernandes",
        "diego",
        "America/Sao_Paulo",
        "diegofer",
        ("MPB", "Tropicália", "Bossa Nova", "Afrobeat", "Reggae", "Son Cubano"),
        0.8,
        (SPOTIFY,),
    ),
)

# Album lines: artist | title | year | country | genre tags. Indented lines: "m:ss Track title".
CATALOG = """
Miles Davis | Kind of Blue | 1959 | US | Jazz, Modal Jazz
    9:22 So What
    9:46 Freddie Freeloader
    5:37 Blue in Green
    11:33 All Blues
    9:26 Flamenco Sketches
Stan Getz & João Gilberto | Getz/Gilberto | 1964 | Brazil | Bossa Nova, Jazz
    5:24 The Girl from Ipanema
    2:46 Doralice
    5:05 Para Machucar Meu Coração
    4:15 Desafinado
    4:16 Corcovado
    3:45 Só Danço Samba
    5:27 O Grande Amor
    2:54 Vivo Sonhando
John Coltrane | A Love Supreme | 1965 | US | Jazz, Spiritual Jazz
    7:47 Part I – Acknowledgement
    7:22 Part II – Resolution
    10:42 Part III – Pursuance
    7:05 Part IV – Psalm
The Beatles | Revolver | 1966 | UK | Rock, Psychedelic Rock
    2:39 Taxman
    2:06 Eleanor Rigby
    3:01 I'm Only Sleeping
    3:01 Love You To
    2:25 Here, There and Everywhere
    2:40 Yellow Submarine
    2:37 She Said She Said
    2:09 Good Day Sunshine
    2:01 And Your Bird Can Sing
    2:01 For No One
    2:15 Doctor Robert
    2:29 I Want to Tell You
    2:30 Got to Get You into My Life
    2:57 Tomorrow Never Knows
The Velvet Underground & Nico | The Velvet Underground & Nico | 1967 | US | Rock, Art Rock
    2:54 Sunday Morning
    4:39 I'm Waiting for the Man
    2:38 Femme Fatale
    5:12 Venus in Furs
    4:22 Run Run Run
    6:00 All Tomorrow's Parties
    7:12 Heroin
    2:41 There She Goes Again
    2:14 I'll Be Your Mirror
    3:12 The Black Angel's Death Song
    7:46 European Son
Leonard Cohen | Songs of Leonard Cohen | 1967 | Canada | Folk, Singer-Songwriter
    3:48 Suzanne
    5:55 Master Song
    2:15 Winter Lady
    5:00 The Stranger Song
    3:32 Sisters of Mercy
    5:38 So Long, Marianne
    2:55 Hey, That's No Way to Say Goodbye
    4:30 Stories of the Street
    3:01 Teachers
    4:23 One of Us Cannot Be Wrong
Os Mutantes | Os Mutantes | 1968 | Brazil | Tropicália, Psychedelic Rock
    3:41 Panis et Circenses
    4:45 A Minha Menina
    3:33 O Relógio
    3:02 Adeus Maria Fulô
    3:00 Baby
    2:35 Senhor F
    3:11 Bat Macumba
    3:20 Le Premier Bonheur du Jour
    3:25 Trem Fantasma
    1:51 Tempo no Tempo
    3:40 Ave Gengis Khan
Black Sabbath | Paranoid | 1970 | UK | Heavy Metal, Hard Rock
    7:57 War Pigs
    2:48 Paranoid
    4:32 Planet Caravan
    5:58 Iron Man
    4:53 Electric Funeral
    7:07 Hand of Doom
    2:30 Rat Salad
    6:15 Fairies Wear Boots
Marvin Gaye | What's Going On | 1971 | US | Soul
    3:53 What's Going On
    2:43 What's Happening Brother
    3:49 Flyin' High (In the Friendly Sky)
    4:03 Save the Children
    1:42 God Is Love
    3:16 Mercy Mercy Me (The Ecology)
    7:31 Right On
    3:08 Wholy Holy
    5:26 Inner City Blues (Make Me Wanna Holler)
Joni Mitchell | Blue | 1971 | Canada | Folk, Singer-Songwriter
    3:32 All I Want
    3:33 My Old Man
    3:25 Little Green
    3:00 Carey
    3:00 Blue
    3:48 California
    2:50 This Flight Tonight
    4:00 River
    4:20 A Case of You
    4:13 The Last Time I Saw Richard
Serge Gainsbourg | Histoire de Melody Nelson | 1971 | France | Chanson, Art Rock
    7:32 Melody
    2:01 Ballade de Melody Nelson
    1:32 Valse de Melody
    1:48 Ah ! Melody
    4:06 L'Hôtel particulier
    3:24 En Melody
    7:38 Cargo culte
Chico Buarque | Construção | 1971 | Brazil | MPB
    3:19 Deus lhe Pague
    2:49 Cotidiano
    2:48 Desalento
    6:24 Construção
    2:33 Cordão
    3:56 Olha Maria
    2:42 Samba de Orly
    2:01 Valsinha
    3:02 Minha História
    1:41 Acalanto
Can | Tago Mago | 1971 | Germany | Krautrock, Experimental
    7:29 Paperhouse
    4:08 Mushroom
    7:22 Oh Yeah
    18:32 Halleluhwah
    17:22 Aumgn
    11:35 Peking O
    6:47 Bring Me Coffee or Tea
Led Zeppelin | Led Zeppelin IV | 1971 | UK | Hard Rock, Rock
    4:55 Black Dog
    3:40 Rock and Roll
    5:51 The Battle of Evermore
    8:02 Stairway to Heaven
    4:38 Misty Mountain Hop
    4:44 Four Sticks
    3:31 Going to California
    7:07 When the Levee Breaks
David Bowie | The Rise and Fall of Ziggy Stardust and the Spiders from Mars | 1972 | UK | Glam Rock
    4:42 Five Years
    3:34 Soul Love
    4:40 Moonage Daydream
    4:10 Starman
    2:58 It Ain't Easy
    3:22 Lady Stardust
    2:47 Star
    2:40 Hang On to Yourself
    3:13 Ziggy Stardust
    3:25 Suffragette City
    2:58 Rock 'n' Roll Suicide
Nick Drake | Pink Moon | 1972 | UK | Folk, Singer-Songwriter
    2:06 Pink Moon
    2:43 Place to Be
    2:02 Road
    2:58 Which Will
    1:23 Horn
    3:57 Things Behind the Sun
    2:26 Know
    3:36 Parasite
    3:06 Free Ride
    1:37 Harvest Breed
    2:30 From the Morning
Pink Floyd | The Dark Side of the Moon | 1973 | UK | Progressive Rock, Art Rock
    1:05 Speak to Me
    2:49 Breathe
    3:45 On the Run
    6:53 Time
    4:44 The Great Gig in the Sky
    6:23 Money
    7:49 Us and Them
    3:26 Any Colour You Like
    3:46 Brain Damage
    2:12 Eclipse
Stevie Wonder | Innervisions | 1973 | US | Soul, Funk
    4:36 Too High
    5:23 Visions
    7:22 Living for the City
    4:40 Golden Lady
    3:42 Higher Ground
    4:10 Jesus Children of America
    3:41 All in Love Is Fair
    4:44 Don't You Worry 'bout a Thing
    5:35 He's Misstra Know-It-All
Herbie Hancock | Head Hunters | 1973 | US | Jazz Funk, Jazz
    15:41 Chameleon
    6:29 Watermelon Man
    10:15 Sly
    9:09 Vein Melter
Dolly Parton | Jolene | 1974 | US | Country
    2:41 Jolene
    2:17 When Someone Wants to Leave
    2:43 River of Happiness
    2:45 Early Morning Breeze
    2:23 Highway Headin' South
    3:13 Lonely Comin' Down
    2:28 It Must Be You
    2:53 I Will Always Love You
    2:25 Randy
    2:46 Living on Memories of You
Parliament | Mothership Connection | 1975 | US | Funk
    7:40 P. Funk (Wants to Get Funked Up)
    6:13 Mothership Connection (Star Child)
    4:24 Unfunky UFO
    5:03 Supergroovalisticprosifunkstication
    4:03 Handcuffs
    5:46 Give Up the Funk (Tear the Roof off the Sucker)
    5:10 Night of the Thumpasorus Peoples
Fela Kuti & Africa 70 | Zombie | 1976 | Nigeria | Afrobeat
    12:26 Zombie
    13:02 Mr. Follow Follow
    9:44 Observation Is No Crime
    11:10 Mistake
Fleetwood Mac | Rumours | 1977 | UK | Soft Rock, Rock
    2:43 Second Hand News
    4:14 Dreams
    2:02 Never Going Back Again
    3:11 Don't Stop
    3:38 Go Your Own Way
    3:20 Songbird
    4:28 The Chain
    3:31 You Make Loving Fun
    3:11 I Don't Want to Know
    3:54 Oh Daddy
    4:51 Gold Dust Woman
Bob Marley & The Wailers | Exodus | 1977 | Jamaica | Reggae
    3:28 Natural Mystic
    3:08 So Much Things to Say
    3:19 Guiltiness
    2:32 The Heathen
    7:40 Exodus
    3:31 Jamming
    4:16 Waiting in Vain
    3:39 Turn Your Lights Down Low
    3:00 Three Little Birds
    2:52 One Love/People Get Ready
Kraftwerk | Trans-Europa Express | 1977 | Germany | Electronic, Krautrock
    9:40 Europa Endlos
    7:48 Spiegelsaal
    6:12 Schaufensterpuppen
    6:38 Trans-Europa Express
    6:50 Metall auf Metall
    4:25 Franz Schubert
    0:45 Endlos Endlos
Brian Eno | Ambient 1: Music for Airports | 1978 | UK | Ambient
    17:21 1/1
    8:24 2/1
    11:29 1/2
    6:00 2/2
Joy Division | Unknown Pleasures | 1979 | UK | Post-Punk
    3:29 Disorder
    4:48 Day of the Lords
    3:05 Candidate
    4:29 Insight
    4:47 New Dawn Fades
    3:57 She's Lost Control
    3:55 Shadowplay
    2:38 Wilderness
    2:16 Interzone
    5:53 I Remember Nothing
Yellow Magic Orchestra | Solid State Survivor | 1979 | Japan | Synth-Pop, Electronic
    4:13 Technopolis
    4:37 Absolute Ego Dance
    4:27 Rydeen
    3:36 Castalia
    3:36 Behind the Mask
    2:39 Day Tripper
    5:30 Insomnia
    4:03 Solid State Survivor
Talking Heads | Remain in Light | 1980 | US | New Wave, Art Rock
    5:46 Born Under Punches (The Heat Goes On)
    4:45 Crosseyed and Painless
    6:26 The Great Curve
    4:19 Once in a Lifetime
    4:30 Houses in Motion
    3:20 Seen and Not Seen
    4:42 Listening Wind
    6:00 The Overload
Michael Jackson | Thriller | 1982 | US | Pop, R&B
    6:03 Wanna Be Startin' Somethin'
    4:20 Baby Be Mine
    3:42 The Girl Is Mine
    5:57 Thriller
    4:18 Beat It
    4:54 Billie Jean
    4:06 Human Nature
    3:59 P.Y.T. (Pretty Young Thing)
    5:00 The Lady in My Life
Prince and the Revolution | Purple Rain | 1984 | US | Pop, Funk
    4:39 Let's Go Crazy
    3:54 Take Me with U
    5:13 The Beautiful Ones
    3:59 Computer Blue
    4:14 Darling Nikki
    5:52 When Doves Cry
    2:49 I Would Die 4 U
    4:24 Baby I'm a Star
    8:41 Purple Rain
Kate Bush | Hounds of Love | 1985 | UK | Art Pop
    5:03 Running Up That Hill (A Deal with God)
    3:02 Hounds of Love
    4:41 The Big Sky
    3:07 Mother Stands for Comfort
    5:10 Cloudbusting
    2:45 And Dream of Sheep
    2:21 Under Ice
    4:18 Waking the Witch
    4:06 Watching You Without Me
    4:04 Jig of Life
    6:13 Hello Earth
    2:34 The Morning Fog
The Smiths | The Queen Is Dead | 1986 | UK | Indie Rock
    6:24 The Queen Is Dead
    2:17 Frankly, Mr. Shankly
    5:48 I Know It's Over
    3:36 Never Had No One Ever
    2:39 Cemetry Gates
    3:12 Bigmouth Strikes Again
    3:15 The Boy with the Thorn in His Side
    2:21 Vicar in a Tutu
    4:02 There Is a Light That Never Goes Out
    3:16 Some Girls Are Bigger Than Others
Metallica | Master of Puppets | 1986 | US | Thrash Metal, Heavy Metal
    5:12 Battery
    8:35 Master of Puppets
    6:36 The Thing That Should Not Be
    6:27 Welcome Home (Sanitarium)
    8:16 Disposable Heroes
    5:40 Leper Messiah
    8:27 Orion
    5:32 Damage, Inc.
Eric B. & Rakim | Paid in Full | 1987 | US | Hip-Hop
    3:55 I Ain't No Joke
    3:49 Eric B. Is on the Cut
    6:41 My Melody
    4:44 I Know You Got Soul
    3:48 Move the Crowd
    3:48 Paid in Full
    3:57 As the Rhyme Goes On
    4:55 Chinese Arithmetic
    6:17 Eric B. Is President
    5:15 Extended Beat
Talk Talk | Spirit of Eden | 1988 | UK | Art Rock, Post-Rock
    9:05 The Rainbow
    6:37 Eden
    7:08 Desire
    5:16 Inheritance
    6:24 I Believe in You
    6:35 Wealth
Cocteau Twins | Heaven or Las Vegas | 1990 | UK | Dream Pop
    3:12 Cherry-Coloured Funk
    3:14 Pitch the Baby
    3:18 Iceblink Luck
    3:10 Fifty-Fifty Clown
    4:58 Heaven or Las Vegas
    3:30 I Wear Your Ring
    3:29 Fotzepolitic
    3:31 Wolf in the Breast
    3:21 Road, River and Rail
    5:37 Frou-Frou Foxes in Midsummer Fires
Soda Stereo | Canción animal | 1990 | Argentina | Rock en Español, Rock
    4:57 (En) el séptimo día
    4:49 Un millón de años luz
    4:22 Canción animal
    4:01 1990
    4:42 Sueles dejarme solo
    4:25 Entre caníbales
    2:20 Té para tres
    5:35 Cae el sol
    3:33 De música ligera
    3:58 Hombre al agua
Nirvana | Nevermind | 1991 | US | Grunge, Alternative Rock
    5:01 Smells Like Teen Spirit
    4:14 In Bloom
    3:39 Come as You Are
    3:03 Breed
    4:17 Lithium
    2:57 Polly
    2:22 Territorial Pissings
    3:43 Drain You
    2:36 Lounge Act
    3:32 Stay Away
    3:16 On a Plain
    3:52 Something in the Way
My Bloody Valentine | Loveless | 1991 | Ireland | Shoegaze, Dream Pop
    4:17 Only Shallow
    2:38 Loomer
    0:56 Touched
    5:31 To Here Knows When
    4:11 When You Sleep
    5:34 I Only Said
    3:58 Come in Alone
    5:19 Sometimes
    3:36 Blown a Wish
    5:33 What You Want
    6:58 Soon
Massive Attack | Blue Lines | 1991 | UK | Trip Hop, Electronic
    5:18 Safe from Harm
    4:48 One Love
    4:21 Blue Lines
    4:09 Be Thankful for What You've Got
    6:04 Five Man Army
    5:08 Unfinished Sympathy
    4:14 Daydreaming
    4:26 Lately
    6:36 Hymn of the Big Wheel
Aphex Twin | Selected Ambient Works 85–92 | 1992 | UK | IDM, Ambient, Electronic
    4:51 Xtal
    9:01 Tha
    3:47 Pulsewidth
    5:21 Ageispolis
    1:13 i
    6:05 Green Calx
    4:51 Heliosphan
    7:43 We Are the Music Makers
    5:07 Schottkey 7th Path
    7:12 Ptolemy
    6:00 Hedphelym
    5:24 Delphium
    7:35 Actium
Nas | Illmatic | 1994 | US | Hip-Hop
    1:45 The Genesis
    4:54 N.Y. State of Mind
    3:30 Life's a Bitch
    4:50 The World Is Yours
    4:20 Halftime
    4:08 Memory Lane (Sittin' in da Park)
    5:25 One Love
    3:18 One Time 4 Your Mind
    4:12 Represent
    3:22 It Ain't Hard to Tell
Portishead | Dummy | 1994 | UK | Trip Hop
    5:02 Mysterons
    4:11 Sour Times
    3:58 Strangers
    4:16 It Could Be Sweet
    4:51 Wandering Star
    3:49 It's a Fire
    3:54 Numb
    5:05 Roads
    3:39 Pedestal
    5:01 Biscuit
    5:06 Glory Box
Radiohead | OK Computer | 1997 | UK | Alternative Rock, Art Rock
    4:44 Airbag
    6:23 Paranoid Android
    4:27 Subterranean Homesick Alien
    4:24 Exit Music (For a Film)
    4:59 Let Down
    4:21 Karma Police
    1:57 Fitter Happier
    3:50 Electioneering
    4:45 Climbing Up the Walls
    3:48 No Surprises
    4:19 Lucky
    5:24 The Tourist
Björk | Homogenic | 1997 | Iceland | Art Pop, Electronic
    4:15 Hunter
    5:05 Jóga
    3:21 Unravel
    5:12 Bachelorette
    5:53 All Neon Like
    4:29 5 Years
    3:06 Immature
    4:19 Alarm Call
    3:19 Pluto
    4:33 All Is Full of Love
Buena Vista Social Club | Buena Vista Social Club | 1997 | Cuba | Son Cubano
    4:16 Chan Chan
    5:03 De camino a la vereda
    7:27 El cuarto de Tula
    6:05 Pueblo nuevo
    3:02 Dos gardenias
    3:13 ¿Y tú qué has hecho?
    3:29 Veinte años
    3:28 El carretero
    5:27 Candela
    3:21 Amor de loca juventud
    3:17 Orgullecida
    3:50 Murmullo
    4:50 Buena Vista Social Club
    2:54 La bayamesa
Elliott Smith | Either/Or | 1997 | US | Singer-Songwriter, Indie Folk
    3:01 Speed Trials
    3:43 Alameda
    2:48 Ballad of Big Nothing
    2:21 Between the Bars
    3:46 Pictures of Me
    3:44 No Name No. 5
    3:30 Rose Parade
    2:25 Punch and Judy
    2:56 Angeles
    3:04 Cupid's Trick
    3:18 2:45 AM
    2:19 Say Yes
Nick Cave & the Bad Seeds | The Boatman's Call | 1997 | Australia | Singer-Songwriter, Rock
    4:15 Into My Arms
    2:55 Lime-Tree Arbour
    5:43 People Ain't No Good
    4:06 Brompton Oratory
    4:53 There Is a Kingdom
    4:05 (Are You) The One That I've Been Waiting For?
    5:47 Where Do We Go Now But Nowhere?
    2:46 West Country Girl
    4:15 Black Hair
    4:21 Idiot Prayer
    5:34 Far from Me
    3:30 Green Eyes
Air | Moon Safari | 1998 | France | Downtempo, Electronic
    7:11 La femme d'argent
    4:58 Sexy Boy
    4:28 All I Need
    3:44 Kelly Watch the Stars
    4:16 Talisman
    2:34 Remember
    4:00 You Make It Easy
    3:38 Ce matin-là
    5:38 New Star in the Sky (Chanson pour Solal)
    3:10 Le voyage de Pénélope
Neutral Milk Hotel | In the Aeroplane Over the Sea | 1998 | US | Indie Folk, Indie Rock
    2:00 The King of Carrot Flowers, Pt. One
    3:06 The King of Carrot Flowers, Pts. Two & Three
    3:22 In the Aeroplane Over the Sea
    4:26 Two-Headed Boy
    1:53 The Fool
    3:15 Holland, 1945
    1:57 Communist Daughter
    8:18 Oh Comely
    4:08 Ghost
    2:16 [untitled]
    5:12 Two-Headed Boy, Pt. Two
Sigur Rós | Ágætis byrjun | 1999 | Iceland | Post-Rock
    1:36 Intro
    10:04 Svefn-g-englar
    6:47 Starálfur
    7:47 Flugufrelsarinn
    8:11 Ný batterí
    7:11 Hjartað hamast (bamm bamm bamm)
    10:17 Viðrar vel til loftárása
    8:03 Olsen Olsen
    7:56 Ágætis byrjun
    4:00 Avalon
Radiohead | Kid A | 2000 | UK | Electronic, Art Rock
    4:11 Everything in Its Right Place
    4:44 Kid A
    5:51 The National Anthem
    5:56 How to Disappear Completely
    3:42 Treefingers
    5:15 Optimistic
    3:31 In Limbo
    5:09 Idioteque
    4:29 Morning Bell
    7:01 Motion Picture Soundtrack
D'Angelo | Voodoo | 2000 | US | Neo-Soul, R&B
    7:06 Playa Playa
    5:21 Devil's Pie
    4:45 Left & Right
    6:16 The Line
    5:55 Send It On
    4:35 Chicken Grease
    6:25 One Mo'Gin
    6:34 The Root
    5:44 Spanish Joint
    6:22 Feel Like Makin' Love
    7:15 Greatdayndamornin'/Booty
    7:10 Untitled (How Does It Feel)
    6:15 Africa
Daft Punk | Discovery | 2001 | France | House, Electronic
    5:20 One More Time
    3:27 Aerodynamic
    4:58 Digital Love
    3:44 Harder, Better, Faster, Stronger
    3:31 Crescendolls
    1:44 Nightvision
    3:57 Superheroes
    3:22 High Life
    3:51 Something About Us
    3:47 Voyager
    5:44 Veridis Quo
    3:26 Short Circuit
    3:58 Face to Face
    10:00 Too Long
The Strokes | Is This It | 2001 | US | Garage Rock, Indie Rock
    2:35 Is This It
    3:32 The Modern Age
    2:37 Soma
    3:57 Barely Legal
    3:07 Someday
    3:12 Alone, Together
    3:17 Last Nite
    3:47 Hard to Explain
    3:36 New York City Cops
    3:27 Trying Your Luck
    3:16 Take It or Leave It
Röyksopp | Melody A.M. | 2001 | Norway | Downtempo, Electronic
    4:09 So Easy
    3:40 Eple
    5:26 Sparks
    5:06 In Space
    3:58 Poor Leno
    4:23 A Higher Place
    7:28 Röyksopp's Night Out
    3:41 Remind Me
    5:31 She's So
    6:30 40 Years Back/Come
Arcade Fire | Funeral | 2004 | Canada | Indie Rock
    4:48 Neighborhood #1 (Tunnels)
    3:32 Neighborhood #2 (Laïka)
    3:40 Une année sans lumière
    5:12 Neighborhood #3 (Power Out)
    4:49 Neighborhood #4 (7 Kettles)
    4:42 Crown of Love
    5:39 Wake Up
    4:07 Haïti
    5:10 Rebellion (Lies)
    6:20 In the Backseat
Amy Winehouse | Back to Black | 2006 | UK | Soul, R&B
    3:34 Rehab
    4:17 You Know I'm No Good
    2:33 Me & Mr Jones
    3:13 Just Friends
    4:01 Back to Black
    2:35 Love Is a Losing Game
    3:06 Tears Dry on Their Own
    3:42 Wake Up Alone
    2:22 Some Unholy War
    2:46 He Can Only Hold Her
    2:45 Addicted
The Knife | Silent Shout | 2006 | Sweden | Electronic, Synth-Pop
    4:53 Silent Shout
    5:35 Neverland
    6:08 The Captain
    4:12 We Share Our Mothers' Health
    2:52 Na Na Na
    5:29 Marble House
    5:34 Like a Pen
    3:58 From Off to On
    4:01 Forest Families
    4:37 One Hit
    4:20 Still Light
Burial | Untrue | 2007 | UK | Dubstep, Electronic
    0:46 Untitled
    3:58 Archangel
    3:54 Near Dark
    4:53 Ghost Hardware
    2:57 Endorphin
    5:59 Etched Headplate
    2:09 In McDonalds
    6:16 Untrue
    4:40 Shell of Light
    2:59 Dog Shelter
    5:21 Homeless
    1:40 UK
    4:58 Raver
LCD Soundsystem | Sound of Silver | 2007 | US | Dance-Punk, Electronic
    7:11 Get Innocuous!
    4:11 Time to Get Away
    5:25 North American Scum
    6:25 Someone Great
    7:37 All My Friends
    8:29 Us v Them
    3:55 Watch the Tapes
    7:07 Sound of Silver
    5:35 New York, I Love You but You're Bringing Me Down
Bon Iver | For Emma, Forever Ago | 2007 | US | Indie Folk
    3:39 Flume
    3:21 Lump Sum
    3:58 Skinny Love
    5:22 The Wolves (Act I and II)
    5:29 Blindsided
    3:06 Creature Fear
    1:57 Team
    3:41 For Emma
    6:41 re: Stacks
Beach House | Teen Dream | 2010 | US | Dream Pop
    4:49 Zebra
    4:59 Silver Soul
    3:54 Norway
    5:23 Walk in the Park
    4:04 Used to Be
    4:08 Lover of Mine
    4:26 Better Times
    4:29 10 Mile Stereo
    5:17 Real Love
    5:49 Take Care
Kanye West | My Beautiful Dark Twisted Fantasy | 2010 | US | Hip-Hop
    4:40 Dark Fantasy
    5:57 Gorgeous
    4:52 Power
    1:02 All of the Lights (Interlude)
    4:59 All of the Lights
    6:18 Monster
    6:37 So Appalled
    5:52 Devil in a New Dress
    9:07 Runaway
    5:27 Hell of a Life
    7:49 Blame Game
    4:16 Lost in the World
    1:38 Who Will Survive in America
Kendrick Lamar | good kid, m.A.A.d city | 2012 | US | Hip-Hop
    4:33 Sherane a.k.a Master Splinter's Daughter
    5:10 Bitch, Don't Kill My Vibe
    3:32 Backseat Freestyle
    5:24 The Art of Peer Pressure
    6:26 Money Trees
    5:00 Poetic Justice
    3:34 good kid
    5:50 m.A.A.d city
    5:13 Swimming Pools (Drank)
    12:03 Sing About Me, I'm Dying of Thirst
    7:23 Real
    4:08 Compton
Stromae | Racine carrée | 2013 | Belgium | Pop, Electronic
    2:56 Ta fête
    3:52 Papaoutai
    3:28 Bâtard
    4:08 Ave Cesaria
    3:33 Tous les mêmes
    3:34 Formidable
    3:30 Moules frites
    3:07 Carmen
    3:35 Humain à l'eau
    3:05 Quand c'est ?
    3:38 Sommeil
    2:49 Merci
    3:30 AVF
Tame Impala | Currents | 2015 | Australia | Psychedelic Pop
    7:47 Let It Happen
    1:47 Nangs
    4:15 The Moment
    4:30 Yes I'm Changing
    5:19 Eventually
    0:55 Gossip
    3:36 The Less I Know the Better
    3:48 Past Life
    1:48 Disciples
    4:01 'Cause I'm a Man
    4:12 Reality in Motion
    3:05 Love/Paranoia
    6:03 New Person, Same Old Mistakes
Jamie xx | In Colour | 2015 | UK | Electronic, House
    4:54 Gosh
    3:53 Sleep Sound
    4:20 SeeSaw
    3:56 Obvs
    1:55 Just Saying
    4:02 Stranger in a Room
    3:29 Hold Tight
    4:43 Loud Places
    3:42 I Know There's Gonna Be (Good Times)
    5:07 The Rest Is Noise
    4:06 Girl
Beyoncé | Lemonade | 2016 | US | R&B, Pop
    3:16 Pray You Catch Me
    3:41 Hold Up
    3:54 Don't Hurt Yourself
    3:53 Sorry
    4:20 6 Inch
    4:48 Daddy Lessons
    3:57 Love Drought
    3:03 Sandcastles
    1:19 Forward
    4:49 Freedom
    5:22 All Night
    3:26 Formation
Lorde | Melodrama | 2017 | New Zealand | Pop, Art Pop
    3:54 Green Light
    3:17 Sober
    3:09 Homemade Dynamite
    4:31 The Louvre
    2:52 Liability
    6:07 Hard Feelings/Loveless
    2:58 Sober II (Melodrama)
    3:36 Writer in the Dark
    4:37 Supercut
    2:16 Liability (Reprise)
    3:41 Perfect Places
Rosalía | El mal querer | 2018 | Spain | Flamenco, Pop
    2:30 Malamente (Cap.1: Augurio)
    3:16 Que no salga la luna (Cap.2: Boda)
    3:13 Pienso en tu mirá (Cap.3: Celos)
    2:19 De aquí no sales (Cap.4: Disputa)
    4:09 Reniego (Cap.5: Lamento)
    1:20 Preso (Cap.6: Clausura)
    3:05 Bagdad (Cap.7: Liturgia)
    2:34 Di mi nombre (Cap.8: Éxtasis)
    2:16 Nana (Cap.9: Concepción)
    2:48 Maldición (Cap.10: Cordura)
    1:37 A ningún hombre (Cap.11: Poder)
Phoebe Bridgers | Punisher | 2020 | US | Indie Folk, Indie Rock
    1:10 DVD Menu
    3:39 Garden Song
    3:04 Kyoto
    3:05 Punisher
    5:14 Halloween
    3:37 Chinese Satellite
    4:37 Moon Song
    4:04 Savior Complex
    3:22 ICU
    4:31 Graceland Too
    5:44 I Know the End
"""

PITCHES = (
    'If you only know "{track}", this is the week to hear the rest. It holds up front to back.',
    '{artist} at their peak. Put on "{track}" and tell me you are not in.',
    'I have had this on repeat since spring. "{track}" alone is worth your first choice.',
    'A {decade} record that still sounds like the future. Start with "{track}".',
    "Our {genre} picks have been thin lately; this fixes that.",
    'Headphones, a long walk, "{track}" loud. That is the whole pitch.',
    'No skips. If "{track}" does not get you, nothing on it will.',
    'My parents played this every Sunday; it took me years to get it. "{track}" is the way in.',
    "Lost the poll with this once in my old club. Giving it a second life here.",
)

# Reviews by how the rating went; "{track}" needs a favourite track, "{nominator}" someone else.
REVIEWS = {
    "high": (
        "Instant favourite. Thanks for nominating this, {nominator}.",
        '"{track}" stopped me in my tracks. Everything else is a bonus.',
        "Third listen and it keeps opening up.",
        "Deserved winner. I had never given it a proper listen before.",
    ),
    "mid": (
        "Great first half, sags in the middle.",
        "I respect it more than I love it.",
        'Grew on me by the end of the week; "{track}" did the heavy lifting.',
        "Solid, but it never quite grabbed me.",
    ),
    "low": (
        "Not for me, but I get why people love it.",
        "Tried three times. It is a no from me.",
        'Hard going, though "{track}" was a bright spot.',
    ),
}

# Relative plays by local hour: people listen most in the evening, and later at weekends.
# fmt: off
WEEKDAY_HOURS = (
    3.0, 1.5, 0.6, 0.3, 0.2, 0.2,  # 00–05
    0.4, 1.5, 3.0, 2.5, 2.0, 2.0,  # 06–11
    2.5, 2.5, 2.0, 2.0, 2.5, 4.0,  # 12–17
    5.0, 6.0, 7.0, 7.5, 6.5, 4.5,  # 18–23
)
WEEKEND_HOURS = (
    4.0, 2.5, 1.2, 0.6, 0.3, 0.2,
    0.2, 0.4, 1.0, 2.0, 3.5, 4.5,
    5.0, 5.0, 5.0, 5.0, 5.0, 5.0,
    5.5, 6.0, 6.5, 6.5, 6.0, 5.0,
)
# fmt: on

DISCORD_EPOCH_MS = 1_420_070_400_000  # 2015-01-01, where Discord snowflake timestamps start
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Catalog parsing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoTrack:
    title: str
    duration_ms: int


@dataclass(frozen=True, eq=False)
class DemoAlbum:
    artist: str
    title: str
    year: int
    country: str
    genres: tuple[str, ...]
    tracks: tuple[DemoTrack, ...]

    @property
    def decade(self) -> str:
        return f"{self.year // 10 * 10}s"

    @property
    def genre_slugs(self) -> frozenset[str]:
        return frozenset(tag_slug(genre) for genre in self.genres)


def parse_catalog(text: str) -> tuple[DemoAlbum, ...]:
    albums: list[DemoAlbum] = []
    header: list[str] | None = None
    tracks: list[DemoTrack] = []

    def finish() -> None:
        if header is not None:
            artist, title, year, country, genres = header
            tags = tuple(genre.strip() for genre in genres.split(","))
            albums.append(DemoAlbum(artist, title, int(year), country, tags, tuple(tracks)))

    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            length, title = line.strip().split(" ", 1)
            minutes, seconds = length.split(":")
            tracks.append(DemoTrack(title, (int(minutes) * 60 + int(seconds)) * 1000))
        else:
            finish()
            header, tracks = [part.strip() for part in line.split("|")], []
    finish()
    return tuple(albums)


ALBUMS = parse_catalog(CATALOG)


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoReport:
    loaded: bool  # False when the demo was already there and nothing was written
    members: int = 0
    albums: int = 0
    tracks: int = 0
    weeks: int = 0
    nominations: int = 0
    votes: int = 0
    ratings: int = 0
    listens: int = 0
    current_week: str = ""

    def __str__(self) -> str:
        if not self.loaded:
            return "demo club already loaded; nothing changed"
        return (
            f"demo club loaded: {self.members} members, {self.albums} albums "
            f"({self.tracks} tracks), {self.weeks} weeks ({self.nominations} nominations, "
            f"{self.votes} votes, {self.ratings} ratings), {self.listens:,} listens; "
            f"{self.current_week} is taking nominations"
        )


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def load_demo(session: Session, today: date | None = None) -> DemoReport:
    """Fill an empty database with the demo club; flushes only, the caller commits."""
    if _already_loaded(session):
        return DemoReport(loaded=False)
    _refuse_unless_empty(session)

    today = today or datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    first_monday = monday - timedelta(weeks=PAST_WEEKS)
    window_end = _midnight(today)
    window_start = window_end - timedelta(days=LISTEN_DAYS)

    weeks = _plan_club(monday, today)
    listens = _plan_listens(weeks, window_start, window_end)

    # Members joined the month before the first week; the catalog came with them.
    joined = _midnight(first_monday) - timedelta(days=30)
    users = _write_members(session, joined)
    tracks = _write_catalog(session)
    for week in weeks:
        _write_week(session, week, users)
    listened = _write_listens(session, users, listens)
    session.flush()

    return DemoReport(
        loaded=True,
        members=len(users),
        albums=len(ALBUMS),
        tracks=tracks,
        weeks=len(weeks),
        nominations=sum(len(week.nominations) for week in weeks),
        votes=sum(2 * len(week.ballots) for week in weeks),
        ratings=sum(len(week.ratings) for week in weeks),
        listens=listened,
        current_week=weeks[-1].label,
    )


def _already_loaded(session: Session) -> bool:
    # The demo members' Discord ids are the same whatever day it is loaded on.
    ids = [_discord_id(member) for member in MEMBERS]
    query = select(LinkedAccount.id).where(
        LinkedAccount.provider == ProviderType.DISCORD, LinkedAccount.provider_user_id.in_(ids)
    )
    return session.scalar(query.limit(1)) is not None


def _refuse_unless_empty(session: Session) -> None:
    # Week numbers, handles and Discord ids are unique: mixing the demo into a real club
    # would fail half-way, so say so up front.
    for model in (User, Week):
        if session.scalar(select(model.id).limit(1)) is not None:
            raise Conflict(
                "the demo club loads into an empty database; this one already has members or weeks"
            )


# ---------------------------------------------------------------------------------------------
# Small deterministic helpers
# ---------------------------------------------------------------------------------------------


def _id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts))


def _rng(*parts: object) -> random.Random:
    # One generator per concern, so editing one table does not reshuffle everything else.
    return random.Random(":".join([SEED, *(str(part) for part in parts)]))  # noqa: S311


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(max(seconds, 1)))


def _snowflake(moment: datetime, rng: random.Random) -> int:
    """A Discord-shaped id: milliseconds since Discord's epoch, then 22 bits of worker/sequence."""
    milliseconds = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
    return (milliseconds << 22) | rng.getrandbits(22)


def _spotify_track_url(track_id: uuid.UUID) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number, digits = track_id.int, []
    for _ in range(22):
        number, digit = divmod(number, 62)
        digits.append(alphabet[digit])
    return f"https://open.spotify.com/track/{''.join(digits)}"


def _track_id(album: DemoAlbum, position: int) -> uuid.UUID:
    """A made-up but stable id for a track, to spell its (fake) Spotify link."""
    return _id("track", album.artist, album.title, position)


def _discord_id(member: DemoMember) -> str:
    # Discord accounts of 2016–2021 have 18-digit snowflakes.
    rng = _rng("discord", member.handle)
    signed_up = datetime(2016, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(6 * 365))
    return str(_snowflake(signed_up, rng))


@cache
def _affinity(member: DemoMember, album: DemoAlbum) -> float:
    tastes = {tag_slug(taste) for taste in member.tastes}
    return 4.0 if tastes & album.genre_slugs else 1.0


@cache
def _track_weights(album: DemoAlbum) -> tuple[float, ...]:
    # A couple of "singles" per album get most of the plays, as on any streaming service.
    rng = _rng("singles", album.artist, album.title)
    singles = set(rng.sample(range(len(album.tracks)), min(2, len(album.tracks))))
    return tuple(
        4.0 if index in singles else 1.5 if index == 0 else 1.0
        for index in range(len(album.tracks))
    )


# ---------------------------------------------------------------------------------------------
# Planning the club (pure: no database)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    opens_at: datetime
    nominations_close_at: datetime
    poll_close_at: datetime
    discussion_at: datetime
    ratings_close_at: datetime


def _schedule(start: date) -> Schedule:
    def at(days: int, hour: int) -> datetime:
        return _midnight(start + timedelta(days=days)) + timedelta(hours=hour)

    return Schedule(at(0, 0), at(1, 20), at(3, 20), at(5, 19), at(6, 22))


@dataclass(frozen=True)
class NominationPlan:
    member: DemoMember
    album: DemoAlbum
    pitch: str
    pitch_track: int  # position in the album
    created_at: datetime


@dataclass(frozen=True)
class Ballot:
    voter: DemoMember
    first: int  # index into the week's nominations
    second: int
    cast_at: datetime


@dataclass(frozen=True)
class RatingPlan:
    member: DemoMember
    value: float
    favorite_track: str | None
    review: str | None
    rated_at: datetime


@dataclass(frozen=True)
class WeekPlan:
    number: int
    start: date  # the Monday that names the week
    schedule: Schedule
    phase: WeekPhase
    nominations: tuple[NominationPlan, ...]
    ballots: tuple[Ballot, ...] = ()
    ratings: tuple[RatingPlan, ...] = ()
    winner: int | None = None  # index into nominations

    @property
    def label(self) -> str:
        return f"WEEK {self.number:03d} [{self.start.isoformat()}]"

    @property
    def winner_album(self) -> DemoAlbum | None:
        return None if self.winner is None else self.nominations[self.winner].album


def _plan_club(monday: date, today: date) -> list[WeekPlan]:
    nominated: set[DemoAlbum] = set()
    weeks: list[WeekPlan] = []
    for number, size in enumerate(PAST_WEEK_SIZES, start=1):
        start = monday - timedelta(weeks=PAST_WEEKS + 1 - number)
        schedule = _schedule(start)
        nominations = _plan_nominations(
            number, size, schedule.opens_at, schedule.nominations_close_at, nominated
        )
        ballots = _plan_ballots(number, nominations, schedule)
        winner = _winner(_poll(nominations, ballots))
        ratings = _plan_ratings(number, nominations, winner, schedule)
        weeks.append(
            WeekPlan(
                number, start, schedule, WeekPhase.CLOSED, nominations, ballots, ratings, winner
            )
        )

    # The current week is named by its Monday, but its deadlines run from today, so they are
    # still ahead whichever day the demo is loaded on.
    schedule = replace(_schedule(today), opens_at=_midnight(monday))
    nominations_so_far = max(_midnight(today), schedule.opens_at + timedelta(hours=2))
    nominations = _plan_nominations(
        PAST_WEEKS + 1, CURRENT_NOMINATIONS, schedule.opens_at, nominations_so_far, nominated
    )
    weeks.append(WeekPlan(PAST_WEEKS + 1, monday, schedule, WeekPhase.NOMINATIONS, nominations))
    return weeks


def _plan_nominations(
    number: int, size: int, opens_at: datetime, until: datetime, nominated: set[DemoAlbum]
) -> tuple[NominationPlan, ...]:
    rng = _rng("nominations", number)
    nominators = rng.sample(MEMBERS, size)
    slot = (until - opens_at) / size
    plans = []
    for index, member in enumerate(nominators):
        pool = [album for album in ALBUMS if album not in nominated]
        album = rng.choices(pool, weights=[_affinity(member, a) for a in pool])[0]
        nominated.add(album)
        track = rng.randrange(len(album.tracks))
        pitch = rng.choice(PITCHES).format(
            track=album.tracks[track].title,
            artist=album.artist,
            decade=album.decade,
            genre=album.genres[0].lower(),
        )
        # Spread over the nomination window, in order: the order breaks full ties.
        offset = slot * (index + rng.uniform(0.1, 0.9))
        created_at = opens_at + timedelta(seconds=int(offset.total_seconds()))
        plans.append(NominationPlan(member, album, pitch, track, created_at))
    return tuple(plans)


def _plan_ballots(
    number: int, nominations: Sequence[NominationPlan], schedule: Schedule
) -> tuple[Ballot, ...]:
    rng = _rng("votes", number)
    wanted = TIE_BREAK_WEEKS.get(number)
    appeal = [rng.uniform(0.6, 1.6) for _ in nominations]
    # A designated tie-break week redraws the whole poll until it ends the way it should.
    for _attempt in range(5_000):
        ballots = tuple(_ballot(rng, voter, nominations, appeal, schedule) for voter in MEMBERS)
        if _poll(nominations, ballots).tie_break == wanted:
            return ballots
    raise RuntimeError(f"no poll for week {number} ends by {wanted or 'points'}; change the seed")


def _ballot(
    rng: random.Random,
    voter: DemoMember,
    nominations: Sequence[NominationPlan],
    appeal: Sequence[float],
    schedule: Schedule,
) -> Ballot:
    # Never for one's own nomination; the two ranks go to two different nominations.
    eligible = [i for i, nomination in enumerate(nominations) if nomination.member != voter]
    choices = []
    for _rank in (1, 2):
        weights = [
            _affinity(voter, nominations[i].album) * appeal[i] * rng.uniform(0.5, 1.5)
            for i in eligible
        ]
        choice = rng.choices(eligible, weights=weights)[0]
        eligible.remove(choice)
        choices.append(choice)
    cast_at = _between(rng, schedule.nominations_close_at, schedule.poll_close_at)
    return Ballot(voter, choices[0], choices[1], cast_at)


def _poll(nominations: Sequence[NominationPlan], ballots: Iterable[Ballot]) -> Tally:
    """The club's own tally of a planned poll (its candidates named by their index)."""
    candidates = [
        Candidate(nomination_id=_candidate(index), nominated_at=nomination.created_at)
        for index, nomination in enumerate(nominations)
    ]
    votes = [
        (_voter(ballot.voter), _candidate(choice), rank)
        for ballot in ballots
        for choice, rank in ((ballot.first, 1), (ballot.second, 2))
    ]
    return tally_poll(candidates, votes)


def _candidate(index: int) -> uuid.UUID:
    return uuid.UUID(int=index)


@cache
def _voter(member: DemoMember) -> uuid.UUID:
    return _id("voter", member.handle)


def _winner(tally: Tally) -> int:
    assert tally.winner_nomination_id is not None  # every planned poll has votes
    return tally.winner_nomination_id.int


def _plan_ratings(
    number: int, nominations: Sequence[NominationPlan], winner: int, schedule: Schedule
) -> tuple[RatingPlan, ...]:
    rng = _rng("ratings", number)
    album = nominations[winner].album
    nominator = nominations[winner].member.display_name.split()[0]
    raters = rng.sample(MEMBERS, rng.randint(len(MEMBERS) - 3, len(MEMBERS)))
    plans = []
    for member in sorted(raters, key=MEMBERS.index):
        mean = 3.9 if _affinity(member, album) > 1 else 3.3
        value = min(5.0, max(1.0, round(rng.gauss(mean, 0.7) * 2) / 2))
        favorite = None
        if rng.random() < 0.7:
            track = rng.choices(album.tracks, weights=_track_weights(album))[0]
            favorite = track.title
        review = None
        if rng.random() < 0.6:
            mood = "high" if value >= 4 else "mid" if value >= 2.5 else "low"
            usable = [
                text
                for text in REVIEWS[mood]
                if (favorite is not None or "{track}" not in text)
                and (member is not nominations[winner].member or "{nominator}" not in text)
            ]
            review = rng.choice(usable).format(track=favorite, nominator=nominator)
        rated_at = _between(rng, schedule.discussion_at, schedule.ratings_close_at)
        plans.append(RatingPlan(member, value, favorite, review, rated_at))
    return tuple(plans)


# ---------------------------------------------------------------------------------------------
# Planning the plays (pure: no database)
# ---------------------------------------------------------------------------------------------

# Start (unix seconds), album index, track index, milliseconds played, source.
Play = tuple[int, int, int, int, ListenSource]


class _Timeline:
    """One member's sessions, kept apart: nobody plays two records at once."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        index = bisect.bisect_left(self._starts, start)
        if index > 0 and self._ends[index - 1] > start:
            return False
        if index < len(self._starts) and self._starts[index] < end:
            return False
        self._starts.insert(index, start)
        self._ends.insert(index, end)
        return True


class _Repeats:
    """One member's start times of each track, so no two plays of a track are "the same play".

    Ingest takes two plays of one track starting within its tolerance (90 s, or half the
    track when shorter) for one play reported twice; a quick skip and a replay would be that.
    """

    def __init__(self) -> None:
        self._starts: dict[tuple[int, int], list[int]] = defaultdict(list)

    def clash(self, run: Sequence[Play]) -> bool:
        pending: dict[tuple[int, int], list[int]] = defaultdict(list)
        for start, album, track, _played, _source in run:
            window = _tolerance_s(album, track)
            for starts in (self._starts[(album, track)], pending[(album, track)]):
                index = bisect.bisect_left(starts, start - window)
                if index < len(starts) and starts[index] <= start + window:
                    return True
            pending[(album, track)].append(start)
        return False

    def add(self, run: Sequence[Play]) -> None:
        for start, album, track, _played, _source in run:
            bisect.insort(self._starts[(album, track)], start)


@cache
def _tolerance_s(album: int, track: int) -> float:
    return tolerance(ALBUMS[album].tracks[track].duration_ms).total_seconds()


def _plan_listens(
    weeks: Sequence[WeekPlan], window_start: datetime, window_end: datetime
) -> dict[DemoMember, list[ListenRecord]]:
    """Each member's plays, oldest first."""
    listens: dict[DemoMember, list[ListenRecord]] = {}
    counts = _allocate(LISTEN_COUNT, [member.listening_share for member in MEMBERS])
    for member, count in zip(MEMBERS, counts, strict=True):
        # Each week's raters played the winner between the poll and the discussion.
        club = [
            (week.winner_album, week.schedule.poll_close_at, week.schedule.discussion_at)
            for week in weeks
            if week.winner_album is not None and any(r.member == member for r in week.ratings)
        ]
        plays = _member_plays(member, count, club, window_start, window_end)
        listens[member] = _listen_records(member, sorted(plays))
    return listens


def _allocate(total: int, shares: Sequence[float]) -> list[int]:
    """Split `total` by `shares` exactly: floors first, the remainder to the largest fractions."""
    exact = [total * share / sum(shares) for share in shares]
    counts = [int(value) for value in exact]
    by_fraction = sorted(range(len(shares)), key=lambda i: counts[i] - exact[i])
    for index in by_fraction[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _member_plays(
    member: DemoMember,
    count: int,
    club: Sequence[tuple[DemoAlbum, datetime, datetime]],
    window_start: datetime,
    window_end: datetime,
) -> list[Play]:
    rng = _rng("listens", member.handle)
    zone = ZoneInfo(member.timezone)
    first, last = int(window_start.timestamp()), int(window_end.timestamp())
    album_weights = list(
        itertools.accumulate(_popularity()[a] * _affinity(member, a) for a in ALBUMS)
    )
    timeline = _Timeline()
    repeats = _Repeats()
    plays: list[Play] = []

    def source_at(start: int) -> ListenSource:
        stage = (start - first) * len(member.sources) // (last - first)
        return member.sources[min(stage, len(member.sources) - 1)]

    def try_session(start: int, tracks: Sequence[tuple[int, int]]) -> bool:
        run = _listening_session(rng, start, tracks, source_at(start))
        end = run[-1][0] + run[-1][3] // 1000
        if start < first or end > last or repeats.clash(run) or not timeline.claim(start, end):
            return False
        run = run[: count - len(plays)]
        repeats.add(run)
        plays.extend(run)
        return True

    for album, earliest, latest in club:
        album_index = ALBUMS.index(album)
        for _listen in range(rng.randint(1, 2)):
            for _attempt in range(20):
                days = (latest.date() - earliest.date()).days + 1
                day = earliest.date() + timedelta(days=rng.randrange(days))
                start = _local_start(rng, zone, day)
                if earliest.timestamp() <= start < latest.timestamp():
                    tracks = [(album_index, t) for t in range(len(album.tracks))]
                    if try_session(start, tracks):
                        break

    day_weights = _day_weights(window_start.date())
    while len(plays) < count:
        offset = rng.choices(range(LISTEN_DAYS), cum_weights=day_weights)[0]
        start = _local_start(rng, zone, window_start.date() + timedelta(days=offset))
        try_session(start, _pick_tracks(rng, album_weights))
    return plays


def _pick_tracks(rng: random.Random, album_weights: Sequence[float]) -> list[tuple[int, int]]:
    """About half the sessions are an album played in order, the rest a shuffle of favourites."""
    if rng.random() < 0.5:
        album = rng.choices(range(len(ALBUMS)), cum_weights=album_weights)[0]
        length = len(ALBUMS[album].tracks)
        first = 0 if rng.random() < 0.7 else rng.randrange(length)
        last = min(length, first + rng.randint(3, length))
        return [(album, track) for track in range(first, last)]
    picks = []
    for _ in range(rng.randint(4, 14)):
        album = rng.choices(range(len(ALBUMS)), cum_weights=album_weights)[0]
        weights = _track_weights(ALBUMS[album])
        picks.append((album, rng.choices(range(len(weights)), weights=weights)[0]))
    return picks


def _listening_session(
    rng: random.Random, start: int, tracks: Sequence[tuple[int, int]], source: ListenSource
) -> list[Play]:
    plays: list[Play] = []
    moment = start
    for album, track in tracks:
        duration = ALBUMS[album].tracks[track].duration_ms
        # Only Spotify reports skips; scrobblers log a play once it has mostly run.
        skipped = source is ListenSource.SPOTIFY and rng.random() < 0.08
        played = rng.randint(5_000, min(45_000, duration)) if skipped else duration
        plays.append((moment, album, track, played, source))
        moment += -(-played // 1000) + rng.randint(0, 3)
    return plays


def _local_start(rng: random.Random, zone: ZoneInfo, day: date) -> int:
    """A session start on `day` in the member's own time, as unix seconds."""
    hours = WEEKEND_HOURS if day.weekday() >= 5 else WEEKDAY_HOURS
    hour = rng.choices(range(24), weights=hours)[0]
    minute, second = rng.randrange(60), rng.randrange(60)
    return int(
        datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone).timestamp()
    )


def _day_weights(first_day: date) -> list[float]:
    """Cumulative weights over the window: a little more at weekends, and growing over time."""
    weights = []
    for offset in range(LISTEN_DAYS):
        day = first_day + timedelta(days=offset)
        weights.append((1.15 if day.weekday() >= 5 else 1.0) * (0.75 + 0.5 * offset / LISTEN_DAYS))
    return list(itertools.accumulate(weights))


@cache
def _popularity() -> dict[DemoAlbum, float]:
    # A long tail: a few albums get most plays, whatever their place in the table.
    ranks = _rng("popularity").sample(range(len(ALBUMS)), len(ALBUMS))
    return {album: 1 / (rank + 2) ** 1.1 for album, rank in zip(ALBUMS, ranks, strict=True)}


def _listen_records(member: DemoMember, plays: Iterable[Play]) -> list[ListenRecord]:
    rng = _rng("listen-ids", member.handle)
    records = []
    for start, album_index, track_index, played, source in plays:
        album = ALBUMS[album_index]
        track = album.tracks[track_index]
        source_id = None
        if source is ListenSource.LISTENBRAINZ:
            source_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        records.append(
            ListenRecord(
                artist_name=album.artist,
                track_title=track.title,
                album_title=album.title,
                played_at=UNIX_EPOCH + timedelta(seconds=start),
                source=source,
                duration_ms=track.duration_ms,
                ms_played=played,
                source_id=source_id,
            )
        )
    return records


# ---------------------------------------------------------------------------------------------
# Writing, through the domain services
# ---------------------------------------------------------------------------------------------


def _stamp(row: Any, created_at: datetime, updated_at: datetime | None = None) -> None:
    """Date a service's row in the demo's history (the services stamp the present)."""
    row.created_at = created_at
    row.updated_at = updated_at or created_at


def _write_members(session: Session, joined: datetime) -> dict[DemoMember, User]:
    users: dict[DemoMember, User] = {}
    for index, member in enumerate(MEMBERS):
        discord_id = _discord_id(member)
        user = find_or_create_discord_member(session, discord_id, member.display_name)
        # No service edits a profile or a linked account's username yet: set on its rows.
        account = session.scalars(
            select(LinkedAccount).where(
                LinkedAccount.provider == ProviderType.DISCORD,
                LinkedAccount.provider_user_id == discord_id,
            )
        ).one()
        user.handle = member.handle
        user.timezone = member.timezone
        user.listening_private = member.listening_private
        account.provider_username = member.discord_username
        created_at = joined + timedelta(days=index, hours=3 * index)
        _stamp(user, created_at)
        _stamp(account, created_at)
        users[member] = user
    session.flush()
    return users


def _write_catalog(session: Session) -> int:
    """Albums, their genre tags and their tracks; returns how many tracks."""
    albums = [
        find_or_create_album(
            session, title=album.title, artist_name=album.artist, release_year=album.year
        )
        for album in ALBUMS
    ]
    names = {tag_slug(genre): genre for album in ALBUMS for genre in album.genres}
    tags = {slug: find_or_create_genre_tag(session, names[slug]) for slug in sorted(names)}
    # Album.genre_tags loads only when asked to: once, for every album.
    session.scalars(
        select(Album)
        .where(Album.id.in_([album.id for album in albums]))
        .options(selectinload(Album.genre_tags))
    ).all()
    for plan, album in zip(ALBUMS, albums, strict=True):
        for genre in plan.genres:
            tag = tags[tag_slug(genre)]
            if tag is not None and tag not in album.genre_tags:
                album.genre_tags.append(tag)
    session.flush()
    # The catalog's way to add tracks: batch resolution by name, which creates the new ones.
    refs = [
        TrackRef(
            artist_name=album.artist,
            track_title=track.title,
            album_title=album.title,
            duration_ms=track.duration_ms,
        )
        for album in ALBUMS
        for track in album.tracks
    ]
    resolved = resolve_tracks(session, refs)
    tracks = len({track.id for track in resolved})
    if tracks != len(refs):
        raise RuntimeError(f"the demo catalog's {len(refs)} tracks resolved to {tracks}")
    return tracks


def _write_week(session: Session, week: WeekPlan, users: dict[DemoMember, User]) -> None:
    """One week's lifecycle, phase by phase, as the bot would run it."""
    schedule = week.schedule
    threads = _rng("threads", week.number)
    row = create_week(
        session,
        label=week.label,
        week_number=week.number,
        nominations_close_at=schedule.nominations_close_at,
        poll_close_at=schedule.poll_close_at,
        discussion_at=schedule.discussion_at,
        ratings_close_at=schedule.ratings_close_at,
        nominations_thread_id=_snowflake(schedule.opens_at, threads),
    )
    nominations = [_nominate(session, row.id, plan, users) for plan in week.nominations]
    if week.phase is WeekPhase.NOMINATIONS:
        _stamp(row, schedule.opens_at)
        session.flush()
        return

    close_nominations(session, row.id)
    update_week(session, row.id, poll_thread_id=_snowflake(schedule.nominations_close_at, threads))
    for ballot in week.ballots:
        for rank, choice in ((1, ballot.first), (2, ballot.second)):
            vote = cast_vote(session, row.id, users[ballot.voter], nominations[choice].id, rank)
            _stamp(vote, ballot.cast_at)
    _row, tally = close_poll(session, row.id)
    assert week.winner is not None
    if (tally.winner_nomination_id, tally.tie_break) != (
        nominations[week.winner].id,
        TIE_BREAK_WEEKS.get(week.number),
    ):
        raise RuntimeError(f"week {week.number}'s poll did not end as the demo planned")
    update_week(session, row.id, winner_thread_id=_snowflake(schedule.poll_close_at, threads))

    # The ratings open with the discussion; the raters rate after it.
    open_ratings(session, row.id)
    update_week(session, row.id, ratings_thread_id=_snowflake(schedule.discussion_at, threads))
    for plan in week.ratings:
        rating, _created = submit_rating(
            session,
            row.id,
            users[plan.member],
            plan.value,
            favorite_track=plan.favorite_track,
            review=plan.review,
        )
        _stamp(rating, plan.rated_at)
    close_week(session, row.id)
    _stamp(row, schedule.opens_at, schedule.ratings_close_at)
    session.flush()


def _nominate(
    session: Session, week_id: uuid.UUID, plan: NominationPlan, users: dict[DemoMember, User]
) -> Nomination:
    album = plan.album
    nomination, _created = submit_nomination(
        session,
        week_id,
        users[plan.member],
        AlbumRef(title=album.title, artist_name=album.artist, release_year=album.year),
        pitch=plan.pitch,
        pitch_track_url=_spotify_track_url(_track_id(album, plan.pitch_track)),
        genre=album.genres[0],
        decade=album.decade,
        country=album.country,
    )
    # Its time is its place in the nomination order, the poll's last tie-break.
    _stamp(nomination, plan.created_at)
    session.flush()
    return nomination


def _write_listens(
    session: Session, users: dict[DemoMember, User], listens: dict[DemoMember, list[ListenRecord]]
) -> int:
    """Every member's plays, in importer-sized batches; ingest keeps the rollups as it goes."""
    inserted = 0
    for member, records in listens.items():
        for start in range(0, len(records), INGEST_BATCH):
            result = ingest_listens(
                session, users[member].id, records[start : start + INGEST_BATCH]
            )
            if result.rejected:
                reason = result.rejected[0].reason
                raise RuntimeError(f"ingest refused {len(result.rejected)} demo plays: {reason}")
            inserted += result.inserted
    # The plan keeps a track's replays apart, so ingest takes none for a duplicate.
    if inserted != LISTEN_COUNT:
        raise RuntimeError(f"the demo's {LISTEN_COUNT} plays went in as {inserted}")
    return inserted
